"""The vote record as files: the public copy (pseudonymised, for everyone) and the named copy (real unit labels,
for those votes.disclosure allows; every download of a secret vote's named copy is audited)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from community.errors import Forbidden, NotFound
from community.i18n import lazy
from community.web import current_user
from votes import counting, privacy, services
from votes.disclosure import named_record, pseudonymise

NOT_YET = lazy("The vote record is published when an owners' vote closes.")


async def _stored(request: Request[Any, Any, Any], vote_id: int) -> tuple[services.VoteInfo, str]:
    vote = await services.visible_vote(current_user(request), vote_id)
    text = await counting.record_text(vote.id) if vote.status == "closed" else None
    if text is None:
        raise NotFound(NOT_YET)
    return vote, text


def public_record_text(vote_id: int, text: str) -> str:
    """The record anyone may download: units and owners by pseudonyms (the same as the minutes use), so no
    flat's choice can be read from it; `yishi recount` gives the stored result."""
    return json.dumps(pseudonymise(json.loads(text), privacy.record_salt(vote_id)), ensure_ascii=False)


def _file(text: str, name: str) -> Response[str]:
    return Response(
        content=text,
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"},
    )


@get("/v/{vote_id:int}/record.json", name="votes_record")
async def record_json(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[str]:
    vote, text = await _stored(request, vote_id)
    return _file(public_record_text(vote.id, text), f"vote-{vote.id}-record.json")


@get("/v/{vote_id:int}/record-named.json", name="votes_record_named")
async def named_record_json(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[str]:
    vote, text = await _stored(request, vote_id)
    user = current_user(request)
    viewer = await privacy.viewer_of(user, vote.community_id, vote.id)
    if not named_record(vote.settings.disclosure, vote.status, viewer):
        raise Forbidden(lazy("Only the public record, with anonymous numbers, is available to you."))
    if vote.settings.disclosure == "secret" and user is not None:
        await services.audit(vote.community_id, user.id, "vote_named_record_read", vote.id)
    return _file(text, f"vote-{vote.id}-record-named.json")


ROUTES = [record_json, named_record_json]
