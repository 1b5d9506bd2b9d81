"""No 5xx whatever the request's headers and cookies say: broken Accept-Language, language and text-size cookies,
session and CSRF cookies that are not Yishi's, htmx headers, cache validators, ranges, encodings and forwarding
headers, sent to public and staff pages, a static file and a missing page, anonymously and signed in."""

from __future__ import annotations

from collections import Counter

from app.demo import DEMO_PASSWORD, load_demo

PAGES = ["/", "/c/demo", "/v/1", "/v/1/result", "/m/1", "/signin", "/static/css/yishi.css", "/account",
         "/c/demo/feed.atom", "/minutes/1", "/healthz", "/does-not-exist"]  # fmt: skip
HEADERS: list[dict[str, str | bytes]] = [
    {"Accept-Language": "zz;q=abc,*;q=-1,en;q=1e309"},
    {"Accept-Language": "x" * 8000},
    {"Accept-Language": "en-US;q=0.5, zh;q=nan"},
    {"Cookie": "yishi_lang=\x01; yishi_text=\x00huge"},
    {"Cookie": "yishi_lang=" + "x" * 4000},
    {"Cookie": "session=garbage; yishi_session=garbage"},
    {"Cookie": "csrftoken=\u202e".encode()},
    {"HX-Request": "true", "HX-Current-URL": "javascript:alert(1)", "HX-Target": "\x00"},
    {"HX-Request": "true", "HX-Trigger": "x" * 5000},
    {"If-None-Match": '"' + "x" * 5000},
    {"If-Modified-Since": "not a date"},
    {"Range": "bytes=99999999999999999999-"},
    {"Range": "bytes=-0"},
    {"Accept": "text/event-stream"},
    {"Accept-Encoding": "br;q=abc, gzip;q=2, *;q=-1"},
    {"Accept-Encoding": "x" * 5000},
    {"X-Forwarded-For": "not-an-ip, 999.999.1.1"},
    {"X-Forwarded-Proto": "gopher"},
    {"Referer": "\x00"},
    {"Content-Type": "application/json"},
    {"User-Agent": "\u00e9\u202e".encode()},
]


async def test_no_page_answers_5xx_to_hostile_headers_or_cookies(client):
    await load_demo()
    answers: Counter[int] = Counter()
    failures = []
    for signed_in in (False, True):
        if signed_in:
            await client.signin("13800000001", DEMO_PASSWORD)
        for path in PAGES:
            for headers in HEADERS:
                response = await client.get(path, headers=headers)
                answers[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} GET {path} {sorted(headers)}")
    assert not failures, "\n".join(failures)
    assert answers[200] > len(PAGES) * len(HEADERS)  # pages were served, not refused wholesale
