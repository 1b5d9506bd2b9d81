"""Service (送达) of a ballot with the silent-majority warning, recorded per flat with its evidence. Pure.

The adjusted result of a vote with the silent-majority clause adds only owners who provably received the
ballot and the warning (docs/rules.md). Each flat's delivery is recorded on its own, with who delivered it,
when and how: in person against a signature (a photo of the signed receipt), posted at the door (a photo of
it there), or read in Yishi by the owner (an in-app read receipt). There is no bulk record.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from community.i18n import lazy

Method = Literal["in_person", "posted", "in_app"]
METHODS: Final[dict[str, str]] = {
    "in_person": lazy("In person, against a signature"),
    "posted": lazy("Posted at the door, with a photo"),
    "in_app": lazy("Read in Yishi by the owner"),
}
STAFF_METHODS: Final = ("in_person", "posted")  # the read receipt is the owner's own, never recorded by staff
NAME_MAX: Final = 100
CLOCK_SKEW: Final = timedelta(minutes=5)  # a phone's clock a little ahead is not "in the future"


@dataclass(frozen=True)
class DeliveryForm:
    unit: str
    method: str
    delivered_by: str
    delivered_at: datetime | None
    signed_by: str
    has_photo: bool


def delivery_errors(form: DeliveryForm, units: Collection[str], already: Collection[str], opened_at: datetime | None,
                    now: datetime) -> dict[str, str]:  # fmt: skip
    """{field: English msgid} for one flat's delivery recorded by staff; {} when it is complete and plausible."""
    errors: dict[str, str] = {}
    if not form.unit:
        errors["unit"] = lazy("Choose the flat the ballot was delivered to.")
    elif form.unit not in units:
        errors["unit"] = lazy("This flat is not in this vote's electorate.")
    elif form.unit in already:
        errors["unit"] = lazy("The delivery to this flat is already recorded.")
    if form.method not in STAFF_METHODS:
        errors["method"] = lazy("Choose how it was delivered: in person against a signature, or posted with a photo.")
    if not form.delivered_by.strip():
        errors["delivered_by"] = lazy("Enter who delivered it.")
    elif len(form.delivered_by) > NAME_MAX:
        errors["delivered_by"] = lazy("The name can have at most 100 characters.")
    if form.delivered_at is None:
        errors["delivered_at"] = lazy("Enter when it was delivered, e.g. 2026-12-01 18:00.")
    elif form.delivered_at > now + CLOCK_SKEW:
        errors["delivered_at"] = lazy("The delivery cannot be in the future.")
    elif opened_at is not None and form.delivered_at < opened_at.replace(second=0, microsecond=0):  # typed to the minute
        errors["delivered_at"] = lazy("The ballot can only have been delivered after the vote opened.")
    if form.method == "in_person":
        if not form.signed_by.strip():
            errors["signed_by"] = lazy("Enter the name of the person who signed for it.")
        elif len(form.signed_by) > NAME_MAX:
            errors["signed_by"] = lazy("The name can have at most 100 characters.")
    if form.method in STAFF_METHODS and not form.has_photo:
        errors["photo"] = (
            lazy("Add a photo of the signed receipt.") if form.method == "in_person"
            else lazy("Add a photo of the ballot and the warning posted at the door.")
        )  # fmt: skip
    return errors
