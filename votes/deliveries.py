"""Deliveries service: staff record, flat by flat, the evidence that a ballot with the silent-majority warning
was delivered; an owner confirms reading it in Yishi. Only flats with evidence count as served."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser
from community.bulk_sql import upsert
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from votes import drafting, privacy, services
from votes.bulk import fetch_tuples
from votes.delivery import DeliveryForm, delivery_errors
from votes.proxies import MAX_PHOTO_BYTES, clean_photo
from votes.services import VoteInfo
from votes.tables import Delivery, DeliveryPhoto, VoteFlat, VoteVoter

FIELDS = ("unit", "method", "delivered_by", "delivered_at", "signed_by")
NOT_OPEN = lazy("Deliveries can be recorded only while the vote is open.")
NO_CLAUSE = lazy("This vote does not count owners who do not vote: there is nothing to serve.")


def _require_clause(vote: VoteInfo) -> None:
    if not vote.settings.silent_majority:
        raise Conflict(NO_CLAUSE)
    if vote.status != "open":
        raise Conflict(NOT_OPEN)


async def deliveries_of(vote: VoteInfo, view: privacy.VoteView = privacy.EVERYTHING) -> list[dict[str, Any]]:
    """Every recorded delivery of the vote (to the staff member's buildings), in electorate order, with whether
    it has a photo."""
    query = Delivery.select(
        Delivery.id, Delivery.flat, Delivery.flat.unit, Delivery.method, Delivery.delivered_by, Delivery.delivered_at,
        Delivery.signed_by, Delivery.recorded_by.display_name, Delivery.recorded_at,
    ).where(Delivery.vote == vote.id)  # fmt: skip
    rows = await view.keep_vote_flats(query, "vote_delivery.flat").order_by(Delivery.flat.position)
    photos = {int(r["delivery"]) for r in await DeliveryPhoto.select(DeliveryPhoto.delivery).where(
        DeliveryPhoto.delivery.is_in([r["id"] for r in rows] or [-1]))}  # fmt: skip
    for r in rows:
        r["has_photo"] = int(r["id"]) in photos
    return rows


async def units_to_serve(vote: VoteInfo, view: privacy.VoteView = privacy.EVERYTHING, limit: int | None = None) -> list[str]:
    """The electorate's flats (of the staff member's buildings) whose delivery is not recorded yet, in
    electorate order (the first `limit` of them)."""
    scope, args = view.flats_sql("f.flat_id")
    sql = ("SELECT f.unit FROM vote_flat f WHERE f.vote = {}" + scope +  # noqa: S608
           " AND NOT EXISTS (SELECT 1 FROM vote_delivery d WHERE d.flat = f.id) ORDER BY f.position")  # fmt: skip
    if limit is not None:
        sql, args = sql + " LIMIT {}", [*args, limit]
    return [str(unit) for (unit,) in await fetch_tuples(sql, vote.id, *args)]


async def record_delivery(user: CurrentUser, vote_id: int, form: Mapping[str, Any], photo: Any | None) -> None:
    """One flat's delivery with its evidence; FormErrors with what was typed if anything is missing."""
    vote = await services.get_vote(vote_id)
    view = await services.staff_view(user, vote)
    _require_clause(vote)
    values = {name: str(form.get(name, "") or "").strip() for name in FIELDS}
    try:
        delivered_at = drafting._parse_local(values["delivered_at"])
    except ValueError:
        delivered_at = None
    raw = await photo.read() if photo is not None and bool(getattr(photo, "filename", None)) else b""
    photo_bytes: bytes | None = None
    photo_error = ""
    if raw:
        if len(raw) > MAX_PHOTO_BYTES:
            photo_error = lazy("The photo is too large (at most 8 MB).")
        else:
            try:
                photo_bytes = clean_photo(raw)
            except ValueError:
                photo_error = lazy("This file is not a photo (JPEG or PNG).")
    # Only the unit typed is looked up (delivery_errors asks whether it is among them); a flat outside the staff
    # member's buildings is unknown here.
    scope, args = view.flats_sql("f.flat_id")
    flats = {str(unit): int(flat) for unit, flat in await fetch_tuples(
        "SELECT f.unit, f.id FROM vote_flat f WHERE f.vote = {} AND f.unit = {}" + scope, vote_id, values["unit"], *args)}  # noqa: S608  # fmt: skip
    already = {str(r["flat.unit"]) for r in await Delivery.select(Delivery.flat.unit).where(
        (Delivery.vote == vote_id) & (Delivery.flat.unit == values["unit"]))}  # fmt: skip
    checked = DeliveryForm(values["unit"], values["method"], values["delivered_by"], delivered_at, values["signed_by"],
                           photo_bytes is not None)  # fmt: skip
    errors = delivery_errors(checked, flats, already, vote.opened_at, services.now())
    if photo_error:
        errors["photo"] = photo_error
    if errors:
        raise FormErrors(errors, values)
    assert delivered_at is not None and photo_bytes is not None
    try:
        async with write_transaction():
            row = await services.lock_vote(vote_id)
            if row["status"] != "open":
                raise Conflict(NOT_OPEN)
            flat_id = flats[values["unit"]]
            rows = await Delivery.insert(Delivery(
                vote=vote_id, flat=flat_id, method=values["method"], delivered_by=values["delivered_by"],
                delivered_at=delivered_at, signed_by=values["signed_by"] if values["method"] == "in_person" else "",
                recorded_by=user.id,
            )).returning(Delivery.id)  # fmt: skip
            await DeliveryPhoto.insert(DeliveryPhoto(delivery=rows[0]["id"], content_type="image/jpeg", data=photo_bytes))
            await VoteFlat.update({VoteFlat.served: True}).where(VoteFlat.id == flat_id)
            await services.audit(vote.community_id, user.id, "vote_delivery_recorded", vote_id,
                                 {"unit": values["unit"], "method": values["method"]})  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"unit": lazy("The delivery to this flat is already recorded.")}, values) from exc
        raise


async def own_flats_to_acknowledge(user: CurrentUser, vote: VoteInfo) -> list[str]:
    """The flats of the electorate this account owns (verified), whose in-app read receipt is not recorded yet."""
    if not vote.settings.silent_majority or vote.status != "open":
        return []
    from votes.electors import account_links

    links = await account_links(user.id, vote.community_id, vote.opened_at)
    verified_people = sorted({person for _flat, person in links.verified})
    rows = await VoteVoter.select(VoteVoter.flat, VoteVoter.flat.unit, VoteVoter.flat.flat_id, VoteVoter.person).where(
        (VoteVoter.vote == vote.id) & (VoteVoter.relation == "owner") & VoteVoter.person.is_in(verified_people or [-1])
    )
    mine = {int(r["flat"]): str(r["flat.unit"]) for r in rows if (int(r["flat.flat_id"]), int(r["person"])) in links.verified}
    served = {int(r["flat"]) for r in await Delivery.select(Delivery.flat).where(Delivery.flat.is_in(sorted(mine) or [-1]))}
    return [unit for flat, unit in sorted(mine.items()) if flat not in served]


async def acknowledge(user: CurrentUser, vote_id: int) -> int:
    """The owner read the ballot and the warning in Yishi: an in-app read receipt for each of their own flats.
    Returns how many flats it recorded."""
    vote = await services.get_vote(vote_id)
    _require_clause(vote)
    units = await own_flats_to_acknowledge(user, vote)
    if not units:
        return 0
    async with write_transaction():
        row = await services.lock_vote(vote_id)
        if row["status"] != "open":
            raise Conflict(NOT_OPEN)
        flats = await VoteFlat.select(VoteFlat.id, VoteFlat.unit).where((VoteFlat.vote == vote_id) & VoteFlat.unit.is_in(units))
        for flat in flats:
            # A read receipt stands once: another record of the flat (staff's, or this one sent twice) is kept.
            await upsert(Delivery, (Delivery.flat,), {
                Delivery.vote: vote_id, Delivery.flat: flat["id"], Delivery.method: "in_app",
                Delivery.delivered_by: "", Delivery.delivered_at: services.now(), Delivery.signed_by: "",
                Delivery.account: user.id, Delivery.recorded_by: user.id, Delivery.recorded_at: services.now(),
            }, keep=True)  # fmt: skip
            await VoteFlat.update({VoteFlat.served: True}).where(VoteFlat.id == flat["id"])
        await services.audit(vote.community_id, user.id, "vote_delivery_read", vote_id, {"units": units})
    return len(flats)


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


async def delivery_photo(user: CurrentUser, vote_id: int, delivery_id: int) -> Photo:
    vote = await services.get_vote(vote_id)
    view = await services.staff_view(user, vote)
    row = await DeliveryPhoto.select(DeliveryPhoto.content_type, DeliveryPhoto.data, DeliveryPhoto.delivery.flat).where(
        (DeliveryPhoto.delivery == delivery_id) & (DeliveryPhoto.delivery.vote == vote_id)
    ).first()
    if row is None or not await view.sees_vote_flat(int(row["delivery.flat"])):
        raise NotFound(lazy("This delivery has no photo."))
    return Photo(str(row["content_type"]), bytes(row["data"]))


async def served_units(vote_id: int) -> frozenset[str]:
    """The units with recorded evidence of delivery: the record's `served` list."""
    rows = await Delivery.select(Delivery.flat.unit).where(Delivery.vote == vote_id)
    return frozenset(str(r["flat.unit"]) for r in rows)
