"""The documentation lives in the repository: docs/ holds its pages, and nothing points outside the clone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("vote-record.md", "cost-shares.md", "roster.md", "architecture.md", "rules.md", "glossary.md", "concerns-csv.md")
# Built from parts so that this file does not name what it looks for.
OUTSIDE = ("../" + "shared", "shared" + "/domain")
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def tracked_files() -> list[Path]:
    """The files git tracks; outside a git checkout, every file of the tree but caches and local state."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout.decode("utf-8")
    except (OSError, subprocess.SubprocessError):
        listed = ""
    if listed:
        return [ROOT / name for name in listed.split("\0") if name]
    return [
        path
        for path in ROOT.rglob("*")
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
    ]


def test_docs_holds_every_page() -> None:
    for page in PAGES:
        path = ROOT / "docs" / page
        assert path.is_file(), f"docs/{page} is missing"
        assert path.read_text(encoding="utf-8").startswith("# "), f"docs/{page} has no title"


def test_links_between_docs_pages_resolve() -> None:
    for page in PAGES:
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([a-z-]+\.md)(?:#[^)]*)?\)", text):
            assert (ROOT / "docs" / target).is_file(), f"docs/{page} links to missing docs/{target}"


def test_no_file_refers_outside_the_repository() -> None:
    offending = []
    for path in tracked_files():
        if not path.is_file():
            continue  # deleted in the work tree but still in the index
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        text = data.decode("utf-8", errors="replace")
        for line_number, line in enumerate(text.splitlines(), start=1):
            if any(needle in line for needle in OUTSIDE):
                offending.append(f"{path.relative_to(ROOT)}:{line_number}: {line.strip()[:120]}")
    assert not offending, "these lines refer to documents outside the repository:\n" + "\n".join(offending)
