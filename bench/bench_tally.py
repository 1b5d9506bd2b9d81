"""Time `votes.rules.tally` on 100,000 flats and 80,000 ballots; exit 1 if the median run exceeds 1 s."""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

# Run as `python bench/bench_tally.py`: the script's own folder is on sys.path, the repository is not.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from votes.rules import Ballot, Choice, Flat, Settings, tally  # noqa: E402

FLATS = 100_000
BALLOTS = 80_000
RUNS = 5
LIMIT_SECONDS = 1.0
CHOICES: list[Choice] = ["agree", "agree", "agree", "oppose", "abstain", "spoiled"]


def electorate(rng: random.Random) -> list[Flat]:
    """Mostly sole owners, with co-owned flats, owners of two flats and a block of unsold developer stock."""
    flats: list[Flat] = []
    owner = 0
    while len(flats) < FLATS:
        unit = f"b{len(flats) // 1000}-{len(flats) % 1000:03d}"
        area = rng.randint(4000, 15000)
        kind = rng.random()
        if kind < 0.03:
            flats.append(Flat(unit, area, frozenset(), developer_unsold=True))
        elif kind < 0.33:
            owners = frozenset({f"o{owner}", f"o{owner + 1}"})
            designated = f"o{owner}" if rng.random() < 0.5 else None
            flats.append(Flat(unit, area, owners, designated_voter=designated))
            owner += 2
        elif kind < 0.40 and len(flats) + 1 < FLATS:
            # One buyer of two flats: the same owner set, so one entity with both areas.
            flats.append(Flat(unit, area, frozenset({f"o{owner}"})))
            flats.append(Flat(unit + "x", rng.randint(4000, 15000), frozenset({f"o{owner}"})))
            owner += 1
        else:
            flats.append(Flat(unit, area, frozenset({f"o{owner}"})))
            owner += 1
    return flats


def ballots(rng: random.Random, flats: list[Flat]) -> list[Ballot]:
    """80,000 ballots: owners, co-owners who disagree, the developer, and some that are invalid."""
    cast: list[Ballot] = []
    for flat in rng.sample(flats, BALLOTS):
        choice = rng.choice(CHOICES)
        if flat.developer_unsold:
            voter = "developer"
        elif rng.random() < 0.02:
            voter = "tenant"  # not an owner: invalid
        else:
            voter = min(flat.owners)
        cast.append(Ballot(flat.unit, voter, choice, channel="online"))
    return cast


def main() -> int:
    rng = random.Random(278)
    flats = electorate(rng)
    cast = ballots(rng, flats)
    served = frozenset(flat.unit for flat in flats[::2])
    settings = Settings(silent_majority=True)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = tally(7, flats, cast, settings, served)
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(f"tally {len(flats)} flats, {len(cast)} ballots: median {median:.2f} s")
    print(
        f"  entities {result.totals.headcount}, participating {result.participating.headcount}, "
        f"invalid ballots {result.invalid_ballots}, outcome {result.outcome}"
    )
    return 1 if median > LIMIT_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
