"""Building names as the notice board shows them: with their compound, and "Building 3" rather than a bare "3"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from community.tables import Building
from deliberation.text import place_title


def _title(compound: str, building: str) -> str:
    return place_title(SimpleNamespace(compound_name=compound, building_name=building, unit_name=""))


async def building_labels(community_id: int, names: list[str]) -> dict[str, tuple[str, str]]:
    """{stored name: (the filter's label, a minutes entry's label)}, in the reader's language.

    Publications store a building's name only. When several compounds have a building of that name, the filter
    names them all (choosing it selects the minutes of each) and an entry names the building alone (which
    compound's building it concerns is not stored)."""
    rows = await Building.select(Building.name, Building.compound.name).where(
        (Building.compound.community == community_id) & Building.name.is_in(names or [""])
    ).order_by(Building.compound.name)
    return labels_from(rows, names)


def labels_from(rows: list[dict[str, Any]], names: list[str]) -> dict[str, tuple[str, str]]:
    """building_labels from the buildings of those names with their compound's name (`rows`, by compound name)."""
    compounds: dict[str, list[str]] = {}
    for r in rows:
        compounds.setdefault(str(r["name"]), []).append(str(r["compound.name"]))
    labels = {}
    for name in names:
        found = compounds.get(name, [])
        if len(found) == 1:
            labels[name] = (_title(found[0], name),) * 2
        elif found:
            labels[name] = (_title("、".join(found), name), _title("", name))
        else:
            labels[name] = (_title("", name),) * 2
    return labels
