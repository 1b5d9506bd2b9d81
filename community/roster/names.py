"""Before anything is published: the register's names found in its text (community/names.py matches), and
the refusal that shows them, until the person publishing confirms them or edits them out."""

from __future__ import annotations

from collections.abc import Iterable

from community.errors import Conflict
from community.i18n import lazy
from community.names import Excerpt, excerpts, find_names, matched_names
from community.tables import Person

FOUND = lazy("This text names people of the register. Check each place below before publishing.")


class NamesFound(Conflict):
    """Names of the register in text about to be published; nothing was published. `names`: what to confirm."""

    def __init__(self, found: list[Excerpt], names: list[str]) -> None:
        super().__init__(FOUND)
        self.found = found
        self.names = names


async def register_names(community_id: int) -> list[str]:
    """Every name the community's register holds: owners, residents, their households."""
    rows = await Person.select(Person.name).where(Person.community == community_id)
    return [str(r["name"]) for r in rows if r["name"]]


async def check(community_id: int, texts: Iterable[str], confirmed: Iterable[str]) -> list[str]:
    """The register's names found in the texts; NamesFound unless every one of them was confirmed."""
    names = await register_names(community_id)
    found: list[Excerpt] = []
    all_names: set[str] = set()
    for text in texts:
        matches = find_names(text, names)
        found += excerpts(text, matches)
        all_names.update(matched_names(matches))
    if all_names - set(confirmed):
        raise NamesFound(found, sorted(all_names))
    return sorted(all_names)


def confirmed_names(raw: str) -> list[str]:
    """The names a confirmation form carries, one per line."""
    return [line.strip() for line in raw.splitlines() if line.strip()]
