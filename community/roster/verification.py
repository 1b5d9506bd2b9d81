"""Verifying people against flats: staff record how they checked a link, and revoke it with a reason."""

from __future__ import annotations

from community.accounts import CurrentUser
from community.audit import audit
from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import RosterAccess, require_sees, require_verify
from community.roster.messages import METHODS
from community.roster.service import flat_in_community
from community.tables import (
    Ownership,
    Residency,
    Verification,
)

NOTE_MAX = 500

# --------------------------------------------------------------------------- verification


async def _relation(flat_id: int, person_id: int) -> str | None:
    if await Ownership.exists().where((Ownership.flat == flat_id) & (Ownership.person == person_id)):
        return "owner"
    row = await Residency.select(Residency.relation).where(
        (Residency.flat == flat_id) & (Residency.person == person_id)
    ).first()
    return str(row["relation"]) if row else None


async def verify(
    access: RosterAccess, user: CurrentUser, flat_id: int, person_id: int | None, method: str, note: str
) -> None:
    """Record that staff checked a person's link to a flat, and how; audit-logged."""
    place = await flat_in_community(access.community_id, flat_id)
    require_sees(access, place.building_id)
    require_verify(access, place.building_id)
    note = note.strip()
    errors: dict[str, str] = {}
    if person_id is None or await _relation(flat_id, person_id) is None:
        errors["person"] = lazy("Choose one of the people the register lists for this flat.")
    if method not in METHODS:
        errors["method"] = lazy("Please choose how you checked.")
    elif method == "other" and not note:
        errors["note"] = lazy("Please describe how you checked.")
    if len(note) > NOTE_MAX:
        errors["note"] = lazy("The note is too long (at most 500 characters).")
    if not place.active:
        errors["person"] = lazy("This flat is no longer in the register.")
    if errors:
        raise FormErrors(errors, {"method": method, "note": note})
    assert person_id is not None
    try:
        async with write_transaction():
            if await Verification.exists().where(
                (Verification.flat == flat_id)
                & (Verification.person == person_id)
                & Verification.revoked_at.is_null()
            ):
                raise Conflict(lazy("This person is already verified for this flat."))
            rows = await Verification.insert(
                Verification(flat=flat_id, person=person_id, method=method, note=note, verified_by=user.id)
            ).returning(Verification.id)
            await audit("person_verified", actor=user.id, community=access.community_id, object_type="flat", object_id=flat_id, details={"person": person_id, "method": method, "note": note, "verification": rows[0]["id"]})
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(lazy("This person is already verified for this flat.")) from exc
        raise


async def revoke_verification(access: RosterAccess, user: CurrentUser, verification_id: int, reason: str) -> int:
    """End a verification with a reason; returns the flat's id. Audit-logged."""
    row = await Verification.select(
        Verification.id, Verification.flat, Verification.person, Verification.revoked_at
    ).where(Verification.id == verification_id).first()
    if row is None:
        raise NotFound(lazy("This verification does not exist."))
    place = await flat_in_community(access.community_id, int(row["flat"]))
    require_sees(access, place.building_id)
    require_verify(access, place.building_id)
    reason = reason.strip()
    if not reason:
        raise FormErrors({"reason": lazy("Please give a reason.")}, {"reason": reason})
    if len(reason) > NOTE_MAX:
        raise FormErrors({"reason": lazy("The reason is too long (at most 500 characters).")}, {"reason": reason})
    async with write_transaction():
        done = await Verification.update(
            {Verification.revoked_at: now(), Verification.revoked_by: user.id, Verification.revoke_reason: reason}
        ).where((Verification.id == verification_id) & Verification.revoked_at.is_null()).returning(Verification.id)
        if not done:
            raise Conflict(lazy("This verification has already been revoked."))
        await audit("verification_revoked", actor=user.id, community=access.community_id, object_type="flat", object_id=place.id, details={"person": int(row["person"]), "verification": verification_id, "reason": reason})
    return place.id


