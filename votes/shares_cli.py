"""`yishi shares FILE`: read a cost-shares JSON document, print every flat's share as JSON."""

from __future__ import annotations

import json
import sys

from votes.shares import SharesError, compute_shares, parse_shares_input, shares_to_json

USAGE = "usage: yishi shares FILE (FILE may be - for standard input)"


def shares_main(argv: list[str]) -> int:
    """Exit 0 with the shares on stdout, or 2 with one `yishi shares: error: …` line on stderr."""
    try:
        if len(argv) != 1:
            raise SharesError(USAGE)
        data = _load_json(argv[0])
        result = compute_shares(parse_shares_input(data))
    except SharesError as exc:
        # A message quoting user text could hold a line break; the contract is exactly one line.
        problem = " ".join(str(exc).splitlines())
        print(f"yishi shares: error: {problem}", file=sys.stderr)
        return 2
    print(json.dumps(shares_to_json(result), indent=2, ensure_ascii=False))
    return 0


def _load_json(path: str) -> object:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else _read_file(path)
        # utf-8-sig: files saved by Windows editors start with a BOM, which json.loads rejects.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SharesError(f"{_name(path)} is not UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise SharesError(
            f"bad JSON in {_name(path)}: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except SharesError:
        raise
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        raise SharesError(f"bad JSON in {_name(path)}: {exc}") from None


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as exc:
        raise SharesError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _name(path: str) -> str:
    return "standard input" if path == "-" else repr(path)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # json.loads keeps the last of two equal keys; for {"fixed": {"101": …, "101": …}} that hides a mistake.
    obj: dict[str, object] = {}
    for key, value in pairs:
        if key in obj:
            raise SharesError(f"bad JSON: duplicate key {key!r}")
        obj[key] = value
    return obj


def _no_constant(name: str) -> object:
    raise SharesError(f"bad JSON: {name} is not allowed")


if __name__ == "__main__":
    sys.exit(shares_main(sys.argv[1:]))
