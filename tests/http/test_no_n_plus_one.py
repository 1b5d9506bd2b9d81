"""No N+1 anywhere: every GET route of the route table, on the demo's data, as a visitor, an owner, a grid worker, the
facilitator and the site administrator, runs no SQL statement shape more than a few times (a query per row of a list shows up as the same
statement repeated with other values); and no page runs more than a bounded number of statements."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from test_no_5xx import PARAM, _base, _own, get_routes

from app.demo import DEMO_PASSWORD, load_demo
from community import db
from community.querycount import counting
from community.tables import Community

REPEATS = 3  # the same statement shape at most this often in one request
MOST = 40  # statements in one request, whatever the page
WHO = {"anonymous": None, "owner": "13900000001", "grid_worker": "13800000003", "facilitator": "13800000001", "admin": "admin"}


def shape(query: Any) -> str:
    """The statement without its values: Piccolo's template with placeholders."""
    if isinstance(query, str):
        return query
    engine_type = "postgres" if db.engine().engine_type in ("postgres", "cockroach") else "sqlite"
    return str(query.compile_string(engine_type=engine_type)[0])


@pytest.mark.parametrize("who", list(WHO))
async def test_no_page_runs_a_statement_per_row(client, who):
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    own = await _own(community_id)
    if WHO[who]:
        await client.signin(WHO[who], DEMO_PASSWORD)
    app = client._transport.app  # type: ignore[attr-defined]
    found: list[str] = []
    walked = 0
    for template in get_routes(app):
        if template.startswith(("/live/", "/static/")) or "{file_path" in template:
            continue
        path = PARAM.sub(lambda m, t=template: _base(t, own)[m.group(1)], template)  # type: ignore[misc]
        await client.get(path)  # warm: per-process caches filled, as on a running server
        with counting() as counted:
            response = await client.get(path)
        if response.status_code != 200:
            continue
        walked += 1
        repeated = [(n, s) for s, n in Counter(shape(q) for q in counted.queries).items() if n > REPEATS]
        for n, statement in repeated:
            found.append(f"GET {path}: {n}× {statement[:200]}")
        if counted.count > MOST:
            found.append(f"GET {path}: {counted.count} statements")
    print(f"{who}: {walked} pages walked")
    assert walked > (40 if who in ("facilitator", "admin") else 10)
    assert not found, "\n".join(found)
