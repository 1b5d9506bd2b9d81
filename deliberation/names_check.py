"""Publishing minutes and meeting notices only after the register's names in their text were shown and
confirmed (community/roster/names.py); a confirmed publication is written in the audit log with the names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from community.accounts import CurrentUser
from community.audit import audit
from community.roster import names
from deliberation.access import MeetingContext
from deliberation.minutes import service as minutes_service
from deliberation.minutes.assemble import assemble, plain_text


def _notice_texts(snapshot: Mapping[str, Any]) -> list[str]:
    """What a notice says in words typed by staff: title, place, agenda (not the staff's own names)."""
    texts = [str(snapshot.get("title") or ""), str(snapshot.get("venue") or ""), str(snapshot.get("venue_address") or "")]
    for item in snapshot.get("items") or []:
        texts += [str(item.get("title") or ""), str(item.get("description") or "")]
    return [t for t in texts if t]


async def publish_minutes(user: CurrentUser, minutes_id: int, confirmed: Iterable[str]) -> int:
    """Publish signed minutes (deliberation.minutes.service.publish) once their names are confirmed."""
    row, _can = await minutes_service.for_staff(user, minutes_id, "publish")
    content = assemble(await minutes_service.facts_for(row))
    found = await names.check(int(row["community"]), [plain_text(content)], confirmed)
    seq = await minutes_service.publish(user, minutes_id)
    if found:
        await audit("published_with_names", actor=user.id, community=int(row["community"]), object_type="minutes",
                    object_id=minutes_id, details={"names": found})  # fmt: skip
    return seq


async def publish_notice(ctx: MeetingContext, confirmed: Iterable[str]) -> None:
    """Publish a meeting's notice (deliberation.lifecycle.publish_notice) once its names are confirmed."""
    from deliberation import lifecycle

    found = await names.check(ctx.community_id, _notice_texts(await lifecycle.notice_snapshot(ctx.id)), confirmed)
    await lifecycle.publish_notice(ctx)
    if found:
        await audit("published_with_names", actor=ctx.user.id if ctx.user else None, community=ctx.community_id,
                    object_type="meeting", object_id=ctx.id, details={"names": found})  # fmt: skip
