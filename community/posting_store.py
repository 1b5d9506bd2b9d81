"""Proof of posting, stored: who may add photos of a posted notice, adding them (checked, audited, chained),
and what a notice's page shows. Packages say which of their notices have proofs with `register_target`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from community import postings, publications
from community.accounts import CurrentUser, roles_in
from community.audit import audit
from community.clock import now
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.images import UploadRefused, clean
from community.permissions import RULE, scoped_buildings
from community.prepared import PLACEHOLDER_IDS, PLACEHOLDER_TEXT, Prepared
from community.tables import NoticePosting, NoticePostingPhoto

NOT_FOUND = lazy("This notice does not exist, or it is not public.")
NOT_ALLOWED = lazy("Only the community's staff can add photos of a posted notice.")


@dataclass(frozen=True)
class Target:
    """A public notice that may carry proofs of posting, as its package describes it."""

    community_id: int
    title: str
    page: str  # where the public reads it, e.g. "/notices/5"
    published_at: datetime | None = None
    # The buildings it concerns; None: the whole community (any staff member may post it anywhere).
    building_ids: frozenset[int] | None = None
    buildings: tuple[str, ...] = ()  # their names, for the board's filter


Resolver = Callable[[int], Awaitable[Target | None]]  # notice id → the notice, or None if not (yet) public
_targets: dict[str, Resolver] = {}


def register_target(kind: str, resolver: Resolver) -> None:
    """Called by a package's `wiring.register()`: its notices of `kind` (community.postings.NOTICE_KINDS)."""
    if kind not in postings.NOTICE_KINDS:
        raise ValueError(f"unknown kind of notice {kind}")
    _targets[kind] = resolver


async def target(kind: str, notice_id: int) -> Target:
    resolver = _targets.get(kind)
    found = await resolver(notice_id) if resolver is not None else None
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def may_post(user: CurrentUser | None, where: Target) -> bool:
    """The community's staff; a grid worker or building lead only for a notice of their buildings (or one for
    the whole community, which is posted in every building)."""
    if user is None:
        return False
    if user.is_site_admin:
        return True
    rule = RULE["post_notices"]
    roles = await roles_in(user.id, where.community_id) & rule.roles
    if where.building_ids is None or roles - rule.scoped:
        return bool(roles)
    for role in sorted(roles):
        covered = await scoped_buildings(user.id, where.community_id, role)
        if covered is None or covered & where.building_ids:
            return True
    return False


@dataclass(frozen=True)
class Panel:
    """What a notice's page shows of its proofs: every posting with its photos, and whether this visitor may
    add one (and where)."""

    kind: str
    notice_id: int
    postings: list[dict[str, Any]] = field(default_factory=list)
    may_post: bool = False

    @property
    def url(self) -> str:
        return f"/postings/{self.kind}/{self.notice_id}"


# Built once (community.prepared): every result page reads it.
_POSTINGS = Prepared(lambda kind, notice_id: NoticePosting.select(
    NoticePosting.id, NoticePosting.place, NoticePosting.posted_at, NoticePosting.publication_seq,
    NoticePosting.publication_sha256, NoticePosting.uploaded_by.display_name.as_alias("by_name"),
).where((NoticePosting.notice_kind == kind) & (NoticePosting.notice_id == notice_id)).order_by(
    NoticePosting.posted_at
).order_by(NoticePosting.id), PLACEHOLDER_TEXT, PLACEHOLDER_IDS[0])  # fmt: skip


async def postings_of(kind: str, notice_id: int) -> list[dict[str, Any]]:
    """Postings of a notice, oldest first, each with its photos (without their bytes)."""
    rows = await _POSTINGS.run(kind, notice_id)
    if not rows:  # most notices: one statement
        return rows
    photos = await NoticePostingPhoto.select(
        NoticePostingPhoto.id, NoticePostingPhoto.posting, NoticePostingPhoto.sha256, NoticePostingPhoto.width,
        NoticePostingPhoto.height,
    ).where(NoticePostingPhoto.posting.is_in([r["id"] for r in rows] or [-1])).order_by(NoticePostingPhoto.position)  # fmt: skip
    for p in photos:
        p["fingerprint"] = postings.fingerprint(str(p["sha256"]))
    for r in rows:
        r["photos"] = [p for p in photos if p["posting"] == r["id"]]
    return rows


async def panel(user: CurrentUser | None, kind: str, notice_id: int, known: Target | None = None) -> Panel:
    """For a notice's page: its proofs (public), and whether this visitor may add one. `known`: the notice's
    target, when the page has already read what it is made of (not read twice)."""
    resolver = _targets.get(kind)
    where = known if known is not None else await resolver(notice_id) if resolver is not None else None
    if where is None:
        return Panel(kind, notice_id)
    return Panel(kind, notice_id, await postings_of(kind, notice_id), await may_post(user, where))


async def shown(kind: str, notice_id: int) -> Panel:
    """For a page whose staff add proofs elsewhere (a result's page: from its staff page): the proofs only."""
    return Panel(kind, notice_id, await postings_of(kind, notice_id))


async def add_posting(user: CurrentUser, kind: str, notice_id: int, place: str, day: str, at: str,
                      files: Sequence[bytes]) -> int:  # fmt: skip
    """Staff add one posting with its photos: checked first (all or nothing), then stored, audited and its
    fingerprints appended to the chain in one transaction. FormErrors if anything is wrong; nothing changes."""
    where = await target(kind, notice_id)
    if not await may_post(user, where):
        raise Forbidden(NOT_ALLOWED)
    tz = ZoneInfo(get_config().timezone)
    values = {"place": place, "day": day, "time": at}
    posting, errors = postings.parse_posting(place, day, at, len(files), now(), tz, where.published_at)
    cleaned = []
    if "photos" not in errors:
        for data in files:
            try:
                cleaned.append(clean(data, postings.MAX_BYTES, too_large=postings.TOO_LARGE))
            except UploadRefused as refused:
                errors["photos"] = refused.message
                break
    if errors or posting is None:
        raise FormErrors(errors, values)
    facts = [postings.PhotoFacts(c.sha256, c.width, c.height, len(c.body)) for c in cleaned]
    content = postings.chain_content(kind, notice_id, where.page, where.title, posting, facts)
    for _attempt in range(3):
        try:
            async with write_transaction():
                rows = await NoticePosting.insert(
                    NoticePosting(community=where.community_id, notice_kind=kind, notice_id=notice_id,
                                  place=posting.place, posted_at=posting.posted_at, uploaded_by=user.id)  # fmt: skip
                ).returning(NoticePosting.id)
                posting_id = int(rows[0]["id"])
                for position, c in enumerate(cleaned, start=1):
                    await NoticePostingPhoto.insert(
                        NoticePostingPhoto(posting=posting_id, position=position, content_type=c.content_type,
                                           sha256=c.sha256, width=c.width, height=c.height, size=len(c.body),
                                           data=c.body, thumb=c.thumb)  # fmt: skip
                    )
                seq, digest = await publications.append(
                    where.community_id, postings.PUBLICATION_KIND, content, published_at=now(), published_by=user.id,
                    title=where.title, summary=posting.place, buildings=where.buildings,
                )  # fmt: skip
                await NoticePosting.update(
                    {NoticePosting.publication_seq: seq, NoticePosting.publication_sha256: digest}
                ).where(NoticePosting.id == posting_id)
                await audit("notice_posted", actor=user.id, community=where.community_id, object_type=kind,
                            object_id=notice_id, details={"posting": posting_id, "photos": [f.sha256 for f in facts],
                                                          "publication": seq})  # fmt: skip
            return posting_id
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
    raise Conflict(lazy("Several publications arrived at once. Please send the photos again."))


async def photo(photo_id: int, thumb: bool) -> tuple[str, bytes]:
    """(content type, bytes) of a posting's photo, if its notice is public; NotFound otherwise."""
    row = await NoticePostingPhoto.select(
        NoticePostingPhoto.content_type, NoticePostingPhoto.thumb if thumb else NoticePostingPhoto.data,
        NoticePostingPhoto.posting.notice_kind.as_alias("kind"), NoticePostingPhoto.posting.notice_id.as_alias("notice"),
    ).where(NoticePostingPhoto.id == photo_id).first()  # fmt: skip
    if row is None:
        raise NotFound(NOT_FOUND)
    await target(str(row["kind"]), int(row["notice"]))  # the notice is (still) public
    return str(row["content_type"]), bytes(row["thumb" if thumb else "data"])
