"""Owner votes: ballots, rules, tallies, receipts."""
