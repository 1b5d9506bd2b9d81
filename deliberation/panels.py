"""Projector panels other packages contribute (e.g. the status of an open vote), rendered per meeting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from markupsafe import Markup

from community import i18n

# A panel renders HTML for a meeting id, or "" when it has nothing to show. Votes register one.
Panel = Callable[[int], Awaitable[str]]
_panels: list[Panel] = []


def register_projector_panel(panel: Panel) -> None:
    if panel not in _panels:
        _panels.append(panel)


async def projector_panels(meeting_id: int) -> list[Markup]:
    """Each registered panel's HTML for this meeting (already escaped by its own template)."""
    rendered = [await panel(meeting_id) for panel in _panels]
    return [Markup(html) for html in rendered if html]  # noqa: S704 - panels render autoescaped templates


def event(code: str) -> str:
    """The projector's SSE event for its vote section in language `code`."""
    return f"vote-{code}"


async def render(meeting_id: int, code: str) -> Markup:
    """The projector's whole vote section in language `code`: an update replaces all of it, as the page did."""
    with i18n.language(code):
        return Markup("").join(await projector_panels(meeting_id))
