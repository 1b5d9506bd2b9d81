"""Comparing a stored result with a recount, leaf by leaf, for `yishi recount` and the audit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

_MISSING: Final = object()


def _show(value: object) -> str:
    if value is _MISSING:
        return "(missing)"
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError, RecursionError):
        return f"a {type(value).__name__}"


def _same(stored: object, recomputed: object) -> bool:
    # Type-exact: in Python True == 1 and 1 == 1.0, but JSON true, 1 and 1.0 are different stored values.
    return type(stored) is type(recomputed) and stored == recomputed


def _diff(path: str, stored: object, recomputed: object, out: list[str]) -> None:
    if isinstance(stored, Mapping) and isinstance(recomputed, Mapping):
        for key in list(recomputed) + [key for key in stored if key not in recomputed]:
            child = f"{path}.{key}" if path else str(key)
            _diff(child, stored.get(key, _MISSING), recomputed.get(key, _MISSING), out)
    elif not _same(stored, recomputed):
        out.append(f"{path or 'result'}: stored {_show(stored)}, recomputed {_show(recomputed)}")


def result_differences(stored: object, recomputed: Mapping[str, object]) -> list[str]:
    """One readable line per differing leaf, e.g. "agreeing.headcount: stored 9, recomputed 8"; [] if equal."""
    differences: list[str] = []
    _diff("", stored, recomputed, differences)
    return differences
