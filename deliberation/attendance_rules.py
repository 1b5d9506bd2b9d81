"""Pure rules of attendance: which flats a meeting's scope covers, and the households and area present."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FlatPlace:
    """Where a flat is, and its area in hundredths of m²."""

    flat_id: int
    unit_id: int
    building_id: int
    compound_id: int
    area: int
    label: str = ""  # the room, e.g. "501"
    unit_label: str = ""  # e.g. "3号楼 2单元", as the register names them
    compound_name: str = ""  # only when the community has several compounds
    building_name: str = ""
    unit_name: str = ""


def in_scope(place: FlatPlace, scope_kind: str, scope_ids: Iterable[int]) -> bool:
    """Does a meeting scope cover this flat? (Same meaning as community.roster.scope.flats_in_scope.)"""
    ids = set(scope_ids)
    if scope_kind == "community":
        return True
    if scope_kind == "compound":
        return place.compound_id in ids
    if scope_kind == "building":
        return place.building_id in ids
    if scope_kind == "stairwell_unit":
        return place.unit_id in ids
    return False


@dataclass(frozen=True)
class Count:
    households_present: int
    households: int
    area_present: int  # hundredths of m²
    area: int

    @property
    def household_percent(self) -> int:
        """Whole per cent, rounded down (never claims more presence than there is)."""
        return self.households_present * 100 // self.households if self.households else 0

    @property
    def area_percent(self) -> int:
        return self.area_present * 100 // self.area if self.area else 0


@dataclass(frozen=True)
class UnitCount:
    unit_id: int
    unit_label: str
    count: Count
    place: FlatPlace | None = None  # one flat of the unit: its compound, building and unit names


@dataclass(frozen=True)
class AttendanceSummary:
    total: Count
    units: tuple[UnitCount, ...] = field(default=())


def attendance_summary(flats: Sequence[FlatPlace], present: Iterable[int]) -> AttendanceSummary:
    """Households (flats) and area present, per stairwell unit and in all; flats outside `flats` are ignored."""
    here = set(present)
    by_unit: dict[int, list[FlatPlace]] = {}
    for place in flats:
        by_unit.setdefault(place.unit_id, []).append(place)

    def count(places: Sequence[FlatPlace]) -> Count:
        return Count(
            households_present=sum(1 for p in places if p.flat_id in here),
            households=len(places),
            area_present=sum(p.area for p in places if p.flat_id in here),
            area=sum(p.area for p in places),
        )

    units = tuple(
        UnitCount(unit_id, places[0].unit_label, count(places), places[0]) for unit_id, places in by_unit.items()
    )
    return AttendanceSummary(total=count(flats), units=units)

