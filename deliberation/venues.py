"""Venues service: the community's own places to meet, and what is booked at each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community.accounts import CurrentUser
from community.db import write_transaction
from community.errors import FormErrors, NotFound
from community.i18n import lazy
from deliberation.procedure.store import bookings
from deliberation.tables import Venue


async def venues(community_id: int, active_only: bool = False) -> list[dict[str, Any]]:
    query = Venue.select().where(Venue.community == community_id)
    if active_only:
        query = query.where(Venue.active.eq(True))
    return await query.order_by(Venue.active, ascending=False).order_by(Venue.name)


def _venue_values(form: Any) -> tuple[dict[str, str], dict[str, str], int | None]:
    values = {k: str(form.get(k, "") or "").strip() for k in ("name", "address", "capacity")}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = lazy("Please enter the name of the venue.")
    elif len(values["name"]) > 100:
        errors["name"] = lazy("The name can have at most 100 characters.")
    if len(values["address"]) > 200:
        errors["address"] = lazy("The address can have at most 200 characters.")
    capacity = None
    if values["capacity"]:
        if not values["capacity"].isdigit() or not 1 <= int(values["capacity"]) <= 100000:
            errors["capacity"] = lazy("Seats is a whole number, or leave it empty.")
        else:
            capacity = int(values["capacity"])
    return values, errors, capacity


async def add_venue(user: CurrentUser, community_id: int, form: Any) -> int:
    values, errors, capacity = _venue_values(form)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        rows = await Venue.insert(
            Venue(community=community_id, name=values["name"], address=values["address"], capacity=capacity)
        ).returning(Venue.id)
    return int(rows[0]["id"])


async def venue_of(community_id: int, venue_id: int) -> dict[str, Any]:
    """One of this community's venues; NotFound for any other id."""
    venue = await Venue.select().where((Venue.id == venue_id) & (Venue.community == community_id)).first()
    if venue is None:
        raise NotFound(lazy("This venue does not exist."))
    return venue


async def update_venue(user: CurrentUser, community_id: int, venue_id: int, form: Any) -> None:
    await venue_of(community_id, venue_id)
    if "active" in form and "name" not in form:
        async with write_transaction():
            await Venue.update({Venue.active: form.get("active") == "1"}).where(Venue.id == venue_id)
        return
    values, errors, capacity = _venue_values(form)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await Venue.update(
            {Venue.name: values["name"], Venue.address: values["address"], Venue.capacity: capacity}
        ).where(Venue.id == venue_id)


async def calendar(community_id: int, venue_id: int, since: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The venue and the meetings booked there from `since` on, earliest first, each marked when it clashes."""
    from deliberation.procedure.rules import Booking, clashes

    venue = await venue_of(community_id, venue_id)
    rows = await bookings(venue_id, since)
    booked = [Booking(int(r["id"]), str(r["title"]), r["starts_at"], r["ends_at"]) for r in rows]
    for row, booking in zip(rows, booked, strict=True):
        row["clashes"] = [b.title for b in clashes(booking, booked)]
    return venue, rows
