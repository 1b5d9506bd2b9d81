"""Written proxies: the facilitator records an owner's authorisation; the per-person limit is enforced."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from PIL import Image, ImageOps, UnidentifiedImageError

from community.accounts import CurrentUser, mask_phone, normalise_phone
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.safetext import form_date
from community.tables import Account, Person
from votes.rules import DEVELOPER
from votes.services import (
    VoteInfo,
    audit,
    get_vote,
    lock_vote,
    now,
    opaque_id,
    require_facilitator,
)
from votes.tables import Ballot, Proxy, ProxyPhoto, VoteFlat
from votes.turnout import person_names

MAX_PHOTO_BYTES: Final = 8 * 1024 * 1024
PHOTO_EDGE: Final = 2000  # pixels; enough to read a signature, small enough to store
FIELDS: Final = ("unit", "owner", "proxy_name", "proxy_phone", "authorised_on", "matters")


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


def clean_photo(data: bytes) -> bytes:
    """The uploaded photo re-encoded as JPEG: upright, at most 2000 px, without metadata (no GPS position).

    Raises ValueError if it is not an image.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            upright = upright.convert("RGB")
            upright.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=85)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError("not an image") from exc
    return out.getvalue()


async def proxies_of(vote: VoteInfo) -> list[dict[str, Any]]:
    rows = await Proxy.select(
        Proxy.id, Proxy.entity, Proxy.entity.label, Proxy.owner_person, Proxy.proxy_name, Proxy.proxy_phone,
        Proxy.proxy_account, Proxy.authorised_on, Proxy.matters, Proxy.has_photo, Proxy.recorded_at,
        Proxy.recorded_by.display_name, Proxy.revoked_at,
    ).where(Proxy.vote == vote.id).order_by(Proxy.id, ascending=False)
    names = await person_names({r["owner_person"] for r in rows})
    used = {
        b["proxy"] for b in await Ballot.select(Ballot.proxy).where((Ballot.vote == vote.id) & Ballot.proxy.is_not_null())
    }
    for r in rows:
        r["owner_name"] = names.get(r["owner_person"], "")
        r["masked_phone"] = mask_phone(r["proxy_phone"])
        r["used"] = r["id"] in used
    return rows


async def record_proxy(user: CurrentUser, vote_id: int, form: Mapping[str, Any], photo: Any | None) -> int:
    """Record a written authorisation; FormErrors (what was typed kept) for every problem, nothing stored."""
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    if vote.status != "open":
        raise Conflict(lazy("Authorisations can be recorded only while the vote is open."))
    values = {name: str(form.get(name, "") or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    flat = await VoteFlat.select(
        VoteFlat.unit, VoteFlat.entity, VoteFlat.owner_persons, VoteFlat.designated_person, VoteFlat.developer_unsold,
    ).where((VoteFlat.vote == vote.id) & (VoteFlat.unit == values["unit"])).output(load_json=True).first()
    owner_person: int | None = None
    owner_voter = ""
    if flat is None:
        errors["unit"] = lazy("This unit is not in this vote's electorate. Write it as building-unit-room, e.g. 3-2-601.")
    else:
        owner_persons = {int(person): opaque for opaque, person in (flat["owner_persons"] or {}).items()}
        allowed = [
            person for person in owner_persons
            if flat["developer_unsold"] or flat["designated_person"] in (None, person)
        ]
        names = await person_names(set(allowed))
        matching = [p for p in allowed if not values["owner"] or names.get(p) == values["owner"]]
        if flat["developer_unsold"] and not allowed:
            errors["owner"] = lazy("Nobody is registered to act for the developer on this unit.")
        elif len(matching) == 1:
            owner_person = matching[0]
            owner_voter = DEVELOPER if flat["developer_unsold"] else owner_persons[owner_person]
        elif not values["owner"]:
            errors["owner"] = lazy("This unit has several owners: write the name of the one who signed the authorisation.")
        else:
            errors["owner"] = lazy("This is not the name of an owner of this unit who may vote for it.")
    if not values["proxy_name"]:
        errors["proxy_name"] = lazy("Please enter the proxy's name.")
    elif len(values["proxy_name"]) > 100:
        errors["proxy_name"] = lazy("The name is too long.")
    phone = None
    if values["proxy_phone"]:
        phone = normalise_phone(values["proxy_phone"])
        if phone is None:
            errors["proxy_phone"] = lazy("Please enter an 11-digit mobile number.")
    authorised_on = form_date(values["authorised_on"])
    if authorised_on is None:
        errors["authorised_on"] = lazy("Please enter the date written on the authorisation.")
    elif authorised_on > now().date():
        errors["authorised_on"] = lazy("The date of the authorisation cannot be in the future.")
    if len(values["matters"]) > 1000:
        errors["matters"] = lazy("The text is too long (at most 1000 characters).")
    photo_bytes: bytes | None = None
    if photo is not None and photo.filename:
        raw = await photo.read()
        if len(raw) > MAX_PHOTO_BYTES:
            errors["photo"] = lazy("The photo is too large (at most 8 MB).")
        elif raw:
            try:
                photo_bytes = clean_photo(raw)
            except ValueError:
                errors["photo"] = lazy("This file is not a photo. Take a photo of the signed authorisation (JPEG or PNG).")
    if errors:
        raise FormErrors(errors, values)
    assert flat is not None and owner_person is not None and authorised_on is not None
    account = await Account.select(Account.id).where(Account.phone == phone).first() if phone else None
    person = await Person.select(Person.id).where(
        (Person.community == vote.community_id) & (Person.phone == phone)
    ).first() if phone else None
    if account is not None:
        own_people = {
            r["id"] for r in await Person.select(Person.id).where(Person.account == account["id"])
        }
        if owner_person in own_people:
            raise FormErrors({"proxy_name": lazy("An owner cannot be their own proxy.")}, values)
    key = f"account:{account['id']}" if account else (f"phone:{phone}" if phone else "name:" + values["proxy_name"])
    limit = vote.settings.proxy_limit
    try:
        async with write_transaction():
            row = await lock_vote(vote.id, exclusive=True)  # limit check and insert are one step
            if row["status"] != "open":
                raise Conflict(lazy("Authorisations can be recorded only while the vote is open."))
            # The household rule decides as on every channel: the owner's own ballot, or (rule "first") any
            # ballot of the household, leaves the authorisation nothing to vote with.
            voted = (Ballot.vote == vote.id) & (Ballot.entity == flat["entity"])
            if vote.settings.conflict == "spoil":
                voted = voted & (Ballot.voter == owner_voter)
            if await Ballot.exists().where(voted):
                raise FormErrors({"unit": lazy("This household has already voted; an authorisation can no longer be used.")}, values)
            if await Proxy.exists().where(
                (Proxy.vote == vote.id) & (Proxy.entity == flat["entity"]) & Proxy.revoked_at.is_null()
            ):
                raise FormErrors({"unit": lazy("An authorisation for this household is already recorded. Revoke it first to record another.")}, values)
            held = await Proxy.count().where((Proxy.vote == vote.id) & (Proxy.proxy_key == key) & Proxy.revoked_at.is_null())
            if limit and held >= limit:
                raise FormErrors(
                    {"proxy_name": lazy("This person already holds the most authorisations one person may hold in this vote.")},
                    values,
                )
            rows = await Proxy.insert(
                Proxy(
                    vote=vote.id,
                    entity=flat["entity"],
                    owner_person=owner_person,
                    owner_voter=owner_voter,
                    proxy_name=values["proxy_name"],
                    proxy_phone=phone,
                    proxy_account=account["id"] if account else None,
                    proxy_person=person["id"] if person else None,
                    proxy_key=key,
                    proxy_opaque=opaque_id("x", vote.id, key),
                    authorised_on=authorised_on,
                    matters=values["matters"] or vote.title,
                    has_photo=photo_bytes is not None,
                    recorded_by=user.id,
                )
            ).returning(Proxy.id)
            proxy_id = int(rows[0]["id"])
            if photo_bytes is not None:
                await ProxyPhoto.insert(ProxyPhoto(proxy=proxy_id, content_type="image/jpeg", data=photo_bytes))
            await audit(vote.community_id, user.id, "proxy_recorded", vote.id, {"unit": values["unit"], "proxy": proxy_id})
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"unit": lazy("An authorisation for this household is already recorded. Revoke it first to record another.")}, values) from exc
        raise
    return proxy_id


async def revoke_proxy(user: CurrentUser, vote_id: int, proxy_id: int) -> None:
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    async with write_transaction():
        row = await lock_vote(vote.id, exclusive=True)
        if row["status"] != "open":
            raise Conflict(lazy("Authorisations can be changed only while the vote is open."))
        proxy = await Proxy.select(Proxy.id, Proxy.revoked_at).where((Proxy.id == proxy_id) & (Proxy.vote == vote.id)).first()
        if proxy is None:
            raise NotFound(lazy("This authorisation does not exist."))
        if await Ballot.exists().where(Ballot.proxy == proxy_id):
            raise Conflict(lazy("The proxy has already voted with this authorisation; it can no longer be revoked."))
        if proxy["revoked_at"] is None:
            await Proxy.update({Proxy.revoked_at: now()}).where(Proxy.id == proxy_id)
            await audit(vote.community_id, user.id, "proxy_revoked", vote.id, {"proxy": proxy_id})
    from community.admin.invites import expire_proxy_accounts

    # An account made by an invitation for this proxy ends with it.
    await expire_proxy_accounts([proxy_id], user.id)


async def proxy_photo(user: CurrentUser, vote_id: int, proxy_id: int) -> Photo:
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    row = await ProxyPhoto.select(ProxyPhoto.content_type, ProxyPhoto.data).where(
        (ProxyPhoto.proxy == proxy_id) & (ProxyPhoto.proxy.vote == vote.id)
    ).first()
    if row is None:
        raise NotFound(lazy("This authorisation has no photo."))
    return Photo(row["content_type"], bytes(row["data"]))

