"""One mechanism against guessing secrets (passwords, join codes, receipt codes): failures are counted per client
address and per target (an account, a vote) within a window, and past a limit the next attempt is refused with a
translated 429 before the secret is even looked at.

Failures are rows of `signin_attempt` keyed "<limit>:<subject>", so every process (and host) sees the same
counts. A success does not reset the count: a guesser who also knows one valid secret gains nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import write_transaction
from community.errors import TooManyAttempts
from community.i18n import lazy
from community.tables import SigninAttempt

WINDOW = timedelta(minutes=15)
KEY_LENGTH = 128  # signin_attempt.key


@dataclass(frozen=True)
class Limit:
    """At most `most` failures for one subject within `window`; the attempt after that is refused."""

    prefix: str
    most: int
    message: str  # English msgid, shown translated with the 429
    window: timedelta = WINDOW


# Passwords (sign-in, the join page's sign-in, changing one's password): the account is the target.
PASSWORD_PER_ACCOUNT = Limit(
    "account", 5, lazy("Too many wrong passwords for this account. Please wait 15 minutes and try again.")
)
# Generous: a whole meeting room may share one public address behind the same NAT.
PASSWORD_PER_CLIENT = Limit(
    "client", 100, lazy("Too many failed sign-ins from this network. Please wait 15 minutes and try again.")
)
# Join codes: unknown codes from one address (31⁸ codes make guessing hopeless at this rate); wrong passwords
# on a known code's page also lock that code (community.roster.codes.MAX_FAILED_ATTEMPTS).
JOIN_CODE_PER_CLIENT = Limit(
    "join", 30, lazy("Too many wrong codes from this network. Please wait 15 minutes and try again.")
)
# Receipt codes: codes that match no ballot of the vote, from one address, and for one vote from anywhere.
RECEIPT_PER_CLIENT = Limit(
    "receipt", 30, lazy("Too many receipt codes from this network matched no ballot. Please wait 15 minutes and try again.")
)
RECEIPT_PER_VOTE = Limit(
    "receipt-vote",
    300,
    lazy("Too many receipt codes tried on this vote matched no ballot. Please wait 15 minutes and try again."),
)

Target = tuple[Limit, str]


def key(limit: Limit, subject: str) -> str:
    """The stored key of one subject's failures under a limit."""
    return f"{limit.prefix}:{subject}"[:KEY_LENGTH]


def exceeded(failures: int, limit: Limit) -> bool:
    """Whether one more attempt is refused after `failures` recent failures."""
    return failures >= limit.most


async def failures(limit: Limit, subject: str) -> int:
    since = now() - limit.window
    return int(await SigninAttempt.count().where((SigninAttempt.key == key(limit, subject)) & (SigninAttempt.at > since)))


async def check(*targets: Target) -> None:
    """TooManyAttempts (429, with the limit's message) if any target has used up its failures."""
    for limit, subject in targets:
        if exceeded(await failures(limit, subject), limit):
            raise TooManyAttempts(limit.message)


async def failed(*targets: Target) -> None:
    """Count one failure against each target."""
    async with write_transaction():
        await SigninAttempt.insert(*(SigninAttempt(key=key(limit, subject)) for limit, subject in targets))


async def forget_old() -> None:
    """Inside a write transaction: drop failures older than every window (called at each sign-in)."""
    longest = max(limit.window for limit in ALL)
    await SigninAttempt.delete().where(SigninAttempt.at < now() - longest)


ALL = (PASSWORD_PER_ACCOUNT, PASSWORD_PER_CLIENT, JOIN_CODE_PER_CLIENT, RECEIPT_PER_CLIENT, RECEIPT_PER_VOTE)
