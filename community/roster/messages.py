"""Translatable texts of the roster: register problems, column names, verification methods, relations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from community.i18n import gettext as _
from community.i18n import lazy
from community.roster.template import Problem

# One English msgid per problem code of community.roster.template, with the same parameters.
PROBLEM_MESSAGES: Final[dict[str, str]] = {
    "empty_file": lazy("The file is empty."),
    "no_data_rows": lazy("The register has a header but no flats."),
    "not_utf8": lazy(
        "The file is not UTF-8 text (first invalid byte at offset %(byte_offset)s; its encoding looks like "
        "%(likely_encoding)s). Save it as “CSV UTF-8”."
    ),
    "unreadable_file": lazy("The file could not be read as %(format)s: %(reason)s"),
    "unsupported_format": lazy("%(format)s files are not supported; save the sheet as .xlsx or “CSV UTF-8”."),
    "missing_column": lazy("The required column “%(label)s” is missing."),
    "unknown_column": lazy("Unknown column “%(header)s” (column %(column_letter)s); check it against the template."),
    "duplicate_column": lazy(
        "Column “%(label)s” appears twice: “%(first)s” in column %(first_letter)s and “%(second)s” in column "
        "%(column_letter)s."
    ),
    "unnamed_column": lazy("Column %(column_letter)s has values but no header."),
    "required_value_missing": lazy("A value is required."),
    "area_not_number": lazy("Area “%(value)s” is not a number of m²."),
    "area_too_many_decimals": lazy("Area “%(value)s” has more than two decimals."),
    "area_not_positive": lazy("Area “%(value)s” must be greater than 0."),
    "area_too_large": lazy("Area “%(value)s” is larger than %(max)s m²."),
    "floor_not_integer": lazy("Floor “%(value)s” is not a whole number (basements are negative, e.g. -1)."),
    "floor_out_of_range": lazy("Floor “%(value)s” is outside %(min)s to %(max)s."),
    "duplicate_room": lazy(
        "Room %(room)s of building %(building)s, unit %(unit)s in %(compound)s is already on line %(first_line)s."
    ),
    "owners_required": lazy("At least one owner is required unless the flat is developer-held and unsold."),
    "ids_count_mismatch": lazy(
        "%(ids)s ID suffixes for %(owners)s owners; give one per owner in the same order (leave a position "
        "empty when unknown)."
    ),
    "phones_count_mismatch": lazy(
        "%(phones)s phone numbers for %(owners)s owners; give one per owner in the same order (leave a position "
        "empty when unknown)."
    ),
    "bad_id_suffix": lazy(
        "ID suffix “%(value)s” (owner %(position)s) must be the last 4 letters or digits of the ID document."
    ),
    "bad_phone": lazy("Phone “%(value)s” (owner %(position)s) is not an 11-digit mainland mobile number."),
    "duplicate_owner": lazy("Owner “%(name)s” is listed twice on this flat."),
    "unknown_designated_voter": lazy("Designated voter “%(value)s” is not one of the owners (%(owners)s)."),
    "bad_area_source": lazy("Area source “%(value)s” must be registered, surveyed or contract."),
    "bad_usage": lazy("Usage “%(value)s” must be residential, commercial or parking."),
    "bad_developer_unsold": lazy("Developer-held unsold “%(value)s” must be yes or no."),
    "bad_list_separator": lazy("“%(value)s” contains a comma; separate entries with 、 or ;."),
}

COLUMN_LABELS: Final[dict[str, str]] = {
    "compound": lazy("Compound"),
    "building": lazy("Building"),
    "unit": lazy("Stairwell unit"),
    "floor": lazy("Floor"),
    "room": lazy("Room"),
    "area": lazy("Exclusive area"),
    "area_source": lazy("Area source"),
    "usage": lazy("Usage"),
    "owners": lazy("Owners"),
    "owner_ids": lazy("ID suffixes"),
    "phones": lazy("Phone numbers"),
    "designated_voter": lazy("Designated voter"),
    "developer_unsold": lazy("Developer-held unsold"),
    "tenants": lazy("Tenants"),
    "line": lazy("Line"),
}

METHODS: Final[dict[str, str]] = {
    "certificate": lazy("Property certificate seen"),
    "register": lazy("Register extract"),
    "contract": lazy("Sale contract"),
    "other": lazy("Other"),
}

RELATIONS: Final[dict[str, str]] = {
    "owner": lazy("Owner"),
    "tenant": lazy("Tenant"),
    "family": lazy("Family member"),
}

AREA_SOURCES: Final[dict[str, str]] = {
    "registered": lazy("registered"),
    "surveyed": lazy("surveyed"),
    "contract": lazy("contract"),
}

USAGES: Final[dict[str, str]] = {
    "residential": lazy("residential"),
    "commercial": lazy("commercial"),
    "parking": lazy("parking"),
}


def column_label(alias: str | None) -> str:
    """The translated name of a register column (its Chinese header in Chinese)."""
    if alias is None:
        return ""
    return _(COLUMN_LABELS[alias]) if alias in COLUMN_LABELS else alias


@dataclass(frozen=True)
class ShownProblem:
    """A problem as a page or the command line shows it: where, and what is wrong, translated."""

    line: int | None
    column: str
    message: str


def problem_message(problem: Problem) -> str:
    """The problem's reason in the current language (English for an unknown code)."""
    template = PROBLEM_MESSAGES.get(problem.code)
    if template is None:
        return problem.english()
    params: dict[str, object] = {key: str(value) for key, value in problem.params.items()}
    column = problem.params.get("column")
    if isinstance(column, str):
        params["label"] = column_label(column)
    try:
        return _(template) % params
    except (KeyError, ValueError, TypeError):
        return problem.english()


def show_problems(problems: list[Problem]) -> list[ShownProblem]:
    return [ShownProblem(p.line, column_label(p.column), problem_message(p)) for p in problems]
