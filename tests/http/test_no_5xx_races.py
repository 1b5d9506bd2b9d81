"""Every form of the app, as a visitor finds it, sent four times at once (a double tap on a slow phone, two staff
on the same flat): no answer is a 5xx. Looking for a row and then inserting it lets two requests both insert, and
the second failed on the table's UNIQUE key (canvassing status, item notes, read receipts; community.bulk_sql.upsert
now writes them). On PostgreSQL the requests interleave in the database; on SQLite they queue for its one writer."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from test_no_5xx_forms import SKIP_ACTIONS, VISITORS, _order, _post, _starts, _walk

from app.demo import DEMO_PASSWORD, load_demo
from community.tables import Community
from deliberation.tables import ItemNote
from votes.tables import CanvassStatus

AT_ONCE = 4


@pytest.mark.parametrize("who", list(VISITORS))
async def test_no_form_sent_several_times_at_once_answers_5xx(client, who):
    await load_demo()
    community_id = int((await Community.select(Community.id).where(Community.slug == "demo").first())["id"])
    await client.signin(VISITORS[who], DEMO_PASSWORD)
    forms = await _walk(client, await _starts(who, community_id))
    failures: list[str] = []
    answers: Counter[int] = Counter()
    for action, multipart in sorted(forms, key=lambda form: _order(form[0])):
        if action.startswith(SKIP_ACTIONS):
            continue
        sent = await asyncio.gather(*[_post(client, action, forms[(action, multipart)]) for _ in range(AT_ONCE)])
        answers.update(response.status_code for response in sent)
        failures += [f"{response.status_code} POST {action}" for response in sent if response.status_code >= 500]
        assert (await client.get("/account")).status_code == 200, f"signed out after {action}"
    print(f"{who}: {len(forms)} forms, answers {sorted(answers.items())}")
    assert not failures, "\n".join(sorted(set(failures)))
    if who == "facilitator":  # what the races were about: one row each, the last word kept
        flats = [int(r["flat"]) for r in await CanvassStatus.select(CanvassStatus.flat)]
        items = [int(r["item"]) for r in await ItemNote.select(ItemNote.item)]
        assert flats and len(flats) == len(set(flats)) and items and len(items) == len(set(items))
