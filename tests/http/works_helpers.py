"""Shared by the works, running-costs and posting tests: an elevator project of the projects world, passed and
approved (or still in its notice), and small files to upload."""

from __future__ import annotations

import io

from PIL import Image
from test_projects_flow import new_project, open_vote

from votes.projects import service
from votes.projects.tables import ProjectVote
from votes.projects.testing import World, cast_paper_ballots
from votes.testing import before_the_query_window, let_voting_period_run, publish_final


async def passed_project(client, world: World, approved: bool = True) -> int:
    """Every owner agreed; with `approved`, the public notice is over too (no objection, no occupied flat)."""
    project_id = await new_project(client, world)
    vote_id = await open_vote(client, world, project_id)
    await cast_paper_ballots(vote_id, {f"3-2-{f}{n:02d}": "agree" for f in range(1, 7) for n in (1, 2)})
    await let_voting_period_run(vote_id)
    with before_the_query_window():
        response = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert response.status_code in (200, 303), response.text
    await publish_final(vote_id)  # the query window (votes.queries) is over with no query
    await client.get(f"/p/{project_id}")  # the notice starts
    if approved:
        await ProjectVote.update({ProjectVote.notice_ends_at: service.now().replace(year=service.now().year - 1)}).where(
            ProjectVote.vote == vote_id
        )
        await ProjectVote.update({ProjectVote.notice_starts_at: service.now().replace(year=service.now().year - 1)}).where(
            ProjectVote.vote == vote_id
        )
    return project_id


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (30, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def huge_png_header() -> bytes:
    """A PNG whose header claims 20000 × 20000 pixels: refused before anything is decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")


async def post_files(client, path: str, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]], **kwargs):
    token = await client.csrf()
    return await client.post(path, data={**data, "_csrf_token": token}, files=files, **kwargs)
