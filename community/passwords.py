"""argon2id password hashing, always off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults (RFC 9106 low-memory profile). Tests swap in cheaper parameters.
hasher = PasswordHasher()

# A real hash to verify against when the account does not exist, so a wrong username
# costs the same time as a wrong password and reveals nothing.
_DUMMY_HASH: str | None = None

MIN_LENGTH = 8
MAX_LENGTH = 256


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check a password; return (ok, new_hash) where new_hash is set when parameters changed."""
    global _DUMMY_HASH
    if stored_hash is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = await hash_password("not a real password")
        stored_hash = _DUMMY_HASH
        await anyio.to_thread.run_sync(_verify, stored_hash, password)
        return False, None
    ok = await anyio.to_thread.run_sync(_verify, stored_hash, password)
    if ok and hasher.check_needs_rehash(stored_hash):
        return True, await hash_password(password)
    return ok, None


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
