"""The projector's vote section: the votes on the meeting's agenda (participation, then the result explained) and
the building diagram of a project put to one of them, rendered by votes (`votes.live`, `votes.projects.public`)."""

from __future__ import annotations

from markupsafe import Markup

from community import i18n
from deliberation import meeting_votes
from votes import live as vote_live
from votes.projects import public as project_public


async def projector_panels(meeting_id: int) -> list[Markup]:
    """Each panel's HTML for this meeting (already escaped by its own template), in the current language.

    While votes on the agenda are open the projector shows them; otherwise the result of the vote closed last."""
    open_votes = await meeting_votes.open_votes(meeting_id)
    shown = open_votes
    if not shown:
        closed = await meeting_votes.last_closed_vote(meeting_id)
        shown = [closed] if closed is not None else []
    rendered = [
        await vote_live.render_panels(shown, i18n.get_language()),
        await project_public.projector_panel(open_votes),
    ]
    return [Markup(html) for html in rendered if html]  # noqa: S704 - panels render autoescaped templates


def event(code: str) -> str:
    """The projector's SSE event for its vote section in language `code`."""
    return f"vote-{code}"


async def render(meeting_id: int, code: str) -> Markup:
    """The projector's whole vote section in language `code`: an update replaces all of it, as the page did."""
    with i18n.language(code):
        return Markup("").join(await projector_panels(meeting_id))
