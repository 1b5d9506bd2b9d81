"""Live updates of a meeting: what the projector and the phones are sent when something changes, and on connect.

Two channel kinds (community.live):
- "meeting-<id>": the projector. Events "<part>-<language>" (now, queue, attendance, comments) in both
  languages, and "vote-<language>" with the votes on its agenda (deliberation.panels), sent again whenever one
  of them changes (`on_vote_changed`). Open to anyone who may see the meeting, and to a laptop holding the
  meeting's projector key (`?key=`).
- "phones-<id>-<language>": phones following the meeting. Events "now", "agenda", "queue", "comment-<item id>"
  (htmx out-of-band fragments that insert or replace one comment; the item's page listens with an element
  that swaps nothing itself, deliberation/item.html), "hand-<account id>" (only that person's phone
  swaps it) and "resync" (sent on reconnect when comments changed meanwhile: threads fetch themselves again).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment
from litestar import Request

from community import i18n, live, templating
from community.errors import NotFound
from community.i18n import language, lazy
from community.safetext import parse_id
from community.web import current_user
from deliberation import comments, contributions, meeting_votes, meetings, panels, rules, session
from deliberation.access import access_for, get_meeting
from deliberation.tables import AgendaItem
from deliberation.text import excerpt, place_title, render_markdown, url_parts
from votes.events import ParticipationChanged, VoteClosed, VoteOpened

PARTS = ("now", "queue", "attendance", "comments")


def environment() -> Environment:
    """The same Jinja set-up as the pages (filters, gettext), for fragments rendered outside a request."""
    env = templating.environment()
    if "place_title" not in env.globals:
        install_globals(env)
    return env


# Names every deliberation template can use (pages get them through deliberation.views.show).
GLOBALS: dict[str, Any] = {
    "markdown": render_markdown,
    "place_title": place_title,
    "excerpt": excerpt,
    "url_parts": url_parts,
    "clock": rules.format_clock,
    "STATUS_LABELS": rules.STATUS_LABELS,
    "MEETING_KINDS": rules.MEETING_KINDS,
    "ITEM_STATUSES": rules.ITEM_STATUSES,
    "POSITIONS": rules.POSITIONS,
    "GUEST_ROLES": rules.GUEST_ROLES,
    "SCOPE_KINDS": rules.MEETING_SCOPE_KINDS,
}


def install_globals(env: Environment) -> None:
    env.globals.update(GLOBALS)


def render(template: str, **context: Any) -> str:
    # Broadcast fragments carry no per-user controls and no CSRF field: htmx sends the token as a header.
    return environment().get_template(template).render(csrf_input="", live=True, **context)


def projector_channel(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


def phones_channel(meeting_id: int, code: str) -> str:
    return f"phones-{meeting_id}-{code}"


def comment_event(item_id: int) -> str:
    """The phones' event carrying a new, edited or hidden comment of one agenda item."""
    return f"comment-{item_id}"


# --- What the fragments show ---------------------------------------------------------------------------------------


async def current_item(
    meeting: dict[str, Any], agenda: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any] | None, int, int]:
    """(the current item, its number on the agenda, the number of items); `agenda`: the items, if already read."""
    items = agenda if agenda is not None else await AgendaItem.select(
        AgendaItem.id, AgendaItem.title, AgendaItem.status, AgendaItem.description
    ).where(AgendaItem.meeting == meeting["id"]).order_by(AgendaItem.position).order_by(AgendaItem.id)
    for number, item in enumerate(items, start=1):
        if item["id"] == meeting["current_item"]:
            return item, number, len(items)
    return None, 0, len(items)


async def gather(meeting_id: int, parts: tuple[str, ...], meeting: dict[str, Any] | None = None) -> dict[str, Any]:
    """Data of the parts, read once and rendered in every language (`meeting`: its row, if already read)."""
    meeting = meeting or await get_meeting(meeting_id)
    data: dict[str, Any] = {"meeting": meeting}
    if "agenda" in parts or "now" in parts:
        data["agenda"] = await meetings.agenda(meeting_id)
    if "now" in parts or "comments" in parts:
        data["item"], data["number"], data["count"] = await current_item(meeting, data.get("agenda"))
    if "agenda" in parts or "now" in parts:
        # Where each item leads on to (the vote taken on it): the phones' "now" box shows the current item's.
        data["links"] = await contributions.item_links([int(i["id"]) for i in data["agenda"]])
    if "queue" in parts:
        data["queue"] = await session.queue(meeting_id, int(meeting["speaking_limit"]))
    if "attendance" in parts:
        data["attendance"] = await session.attendance_summary(meeting)
    if "comments" in parts:
        item_id = data["item"]["id"] if data.get("item") else None
        data["latest"] = await comments.projector_comments(meeting_id, item_id)
    return data


PROJECTOR_TEMPLATES = {
    "now": "deliberation/_p_now.html",
    "queue": "deliberation/_p_queue.html",
    "attendance": "deliberation/_p_attendance.html",
    "comments": "deliberation/_p_comments.html",
}
PHONE_TEMPLATES = {
    "now": "deliberation/_now.html",
    "agenda": "deliberation/_agenda.html",
    "queue": "deliberation/_queue.html",
}


def projector_events(data: dict[str, Any], parts: tuple[str, ...], code: str) -> list[tuple[str, str]]:
    with language(code):
        return [(f"{part}-{code}", render(PROJECTOR_TEMPLATES[part], **data)) for part in parts if part in PROJECTOR_TEMPLATES]


def phone_events(data: dict[str, Any], parts: tuple[str, ...], code: str) -> list[tuple[str, str]]:
    with language(code):
        return [(part, render(PHONE_TEMPLATES[part], **data)) for part in parts if part in PHONE_TEMPLATES]


def hand_html(meeting: dict[str, Any], state: dict[str, Any], code: str, may_raise: bool = True) -> str:
    """One person's raised hand (session.hand_state), for their phone only."""
    with language(code):
        return render("deliberation/_hand.html", meeting=meeting, may_raise=may_raise, **state)


# --- Publishing --------------------------------------------------------------------------------------------------


async def announce(
    meeting_id: int,
    *parts: str,
    hands: tuple[int, ...] = (),
    new_comment: int | None = None,
    changed_comment: int | None = None,
    every_hand: bool = False,
) -> None:
    """Tell the projector and the phones what changed. Call after the change is committed.

    `every_hand`: the session started or ended, so every phone's own hand box changes (nobody has a hand up
    at either moment, so one event serves all)."""
    data = await gather(meeting_id, parts)
    meeting = data["meeting"]
    comment_row, total = None, None
    if new_comment is not None or changed_comment is not None:
        comment_row = await comments.get_comment_row(new_comment or changed_comment or 0)
        if comment_row is not None and new_comment is not None:
            total = await comments.count_for(int(comment_row["item"]))
    states = {account_id: await session.hand_state(meeting_id, account_id) for account_id in hands}
    for code in i18n.LANGUAGES:
        for event, html in projector_events(data, parts, code):
            await live.publish(projector_channel(meeting_id), event, html)
        channel = phones_channel(meeting_id, code)
        for event, html in phone_events(data, parts, code):
            await live.publish(channel, event, html)
        for account_id, state in states.items():
            await live.publish(channel, f"hand-{account_id}", hand_html(meeting, state, code))
        if every_hand:
            await live.publish(channel, "hand", hand_html(meeting, {"speaker": None, "place": None}, code))
        if comment_row is not None:
            with language(code):
                extra = {} if total is None else {"total": total}
                html = render(
                    "deliberation/_comment_oob.html",
                    meeting=meeting,
                    comment=comment_row,
                    inserted=new_comment is not None,
                    **extra,
                )
            # Per item: a phone reading item 2 is sent nothing about item 3's comments.
            await live.publish(channel, comment_event(int(comment_row["item"])), html)


# --- Votes on the agenda ------------------------------------------------------------------------------------------


async def on_vote_changed(event: ParticipationChanged) -> None:
    """A vote's participation or status changed: if it is on a meeting's agenda, that meeting's projector is sent
    its whole vote section again, in each language."""
    meeting_id = await meeting_votes.meeting_of(event.vote_id)
    if meeting_id is not None:
        for code in i18n.LANGUAGES:
            section = await panels.render(meeting_id, code)
            await live.publish(projector_channel(meeting_id), panels.event(code), str(section))


async def on_vote_opened_or_closed(event: VoteOpened | VoteClosed) -> None:
    """The vote on an agenda item opened or closed: the meeting's phones and control page show the new way to it
    (the ballot, then the result)."""
    meeting_id = await meeting_votes.meeting_of(event.vote_id)
    if meeting_id is not None:
        await announce(meeting_id, "now", "agenda")


# --- Channels: who may listen, and what a new listener is sent first ------------------------------------------------


def _meeting_id(channel: str) -> int:
    parts = channel.split("-")
    meeting_id = parse_id(parts[1]) if len(parts) >= 2 else None
    if meeting_id is None:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    return meeting_id


def key_matches(meeting: dict[str, Any], key: str | None) -> bool:
    expected = str(meeting.get("projector_key") or "")
    return bool(expected and key) and hmac.compare_digest(expected.encode(), str(key).encode())


async def authorize_projector(request: Request[Any, Any, Any], channel: str) -> bool:
    meeting = await get_meeting(_meeting_id(channel))
    if key_matches(meeting, request.query_params.get("key")):
        return True
    return (await access_for(current_user(request), meeting)).view


async def snapshot_projector(request: Request[Any, Any, Any], channel: str) -> list[tuple[str, str]]:
    meeting_id = _meeting_id(channel)

    async def compute() -> tuple[tuple[str, str], ...]:
        data = await gather(meeting_id, PARTS)
        events = []
        for code in i18n.LANGUAGES:
            events += projector_events(data, PARTS, code)
        events += [(panels.event(code), str(await panels.render(meeting_id, code))) for code in i18n.LANGUAGES]
        return tuple(events)

    # The same for every screen: read and rendered once while nothing changes (community.live.shared).
    return list(await live.shared(channel, "projector", compute))


async def authorize_phones(request: Request[Any, Any, Any], channel: str) -> bool:
    parts = channel.split("-")
    if len(parts) != 3 or parts[2] not in i18n.LANGUAGES:
        return False
    meeting = await get_meeting(_meeting_id(channel))
    return (await access_for(current_user(request), meeting)).view


async def snapshot_phones(request: Request[Any, Any, Any], channel: str) -> list[tuple[str, str]]:
    meeting_id, code = _meeting_id(channel), channel.split("-")[2]
    phone_parts = ("now", "agenda", "queue")

    async def compute() -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
        data = await gather(meeting_id, phone_parts)
        return data["meeting"], tuple(phone_events(data, phone_parts, code))

    # The same for every phone of the room: read and rendered once while nothing changes (community.live.shared).
    meeting, shared_events = await live.shared(channel, "phones", compute)
    events = list(shared_events)
    user = current_user(request)
    if user is not None:
        may_raise = (await access_for(user, meeting)).raise_hand
        state = await session.hand_state(meeting_id, user.id)
        events.append((f"hand-{user.id}", hand_html(meeting, state, code, may_raise)))
    since = parse_id(request.query_params.get("since", ""))  # seconds since 1970, within a 32-bit range
    if since is not None:
        moment = datetime.fromtimestamp(since, UTC)
        if await comments.changed_since(meeting_id, moment):
            events.append(("resync", ""))
    return events


def register() -> None:
    """The meeting's live channels (projector and control page; phones), and the names its fragments use."""
    live.register_channel("meeting", authorize_projector, snapshot_projector)
    live.register_channel("phones", authorize_phones, snapshot_phones)
    environment()
