"""Pages of a long list for staff pages over 100,000 flats: ?page=N links that work without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def number(request: Any, name: str = "page") -> int:
    """The page asked for in the query string (1 when absent or not a positive number)."""
    text = request.query_params.get(name) or ""
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list: its items, its number (1-based) and how many pages there are."""

    items: Sequence[T]
    page: int
    pages: int

    @classmethod
    def of(cls, everything: Sequence[T], page: int, per_page: int) -> Paged[T]:
        """The page `page` of `everything` (the last page when there are fewer)."""
        count = pages(len(everything), per_page)
        page = min(page, count)
        return cls(everything[(page - 1) * per_page : page * per_page], page, count)
