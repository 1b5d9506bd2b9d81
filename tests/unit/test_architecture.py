"""The architecture's contracts (docs/architecture.md), checked on the source: floors between packages, a
pure core, services that never reach the web layer, no import cycle, modules a reader can hold in mind.

Imports are read with `ast`, including those inside functions, so a lazy import cannot hide an arrow.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "community", "deliberation", "votes")
# Floors: a package may import only the packages below it: community at the bottom, then votes, then
# deliberation (meetings hold the agenda a vote is taken on; the minutes record votes), app on top.
BELOW = {
    "community": set(),
    "votes": {"community"},
    "deliberation": {"community", "votes"},
    "app": {"community", "deliberation", "votes"},
}
FRAMEWORKS = ("litestar", "piccolo", "jinja2", "asyncpg", "aiosqlite", "redis", "httpx", "uvicorn")
# The pure core: rules, lifecycles, counting and validation over frozen dataclasses (mypy strict on them).
CORE = {
    "votes.rules", "votes.record", "votes.record_compare", "votes.shares", "votes.settings", "votes.electorate", "votes.eligibility",
    "votes.participation", "votes.regimes", "votes.codes", "votes.lifecycle", "votes.matters", "votes.explain", "votes.explanation",
    "votes.households", "votes.events", "votes.projects.kinds", "votes.projects.terms", "votes.projects.lifecycle",
    "votes.projects.diagram", "votes.projects.agreements", "votes.projects.funding", "deliberation.rules", "deliberation.attendance_rules", "deliberation.text", "deliberation.uploads",
    "community.canonical", "community.contributions", "deliberation.minutes.assemble", "deliberation.minutes.facts", "deliberation.minutes.present",
    "deliberation.minutes.rules", "community.roster.template", "community.roster.parsing", "community.roster.files", "community.roster.cells", "community.roster.plan", "community.roster.identity", "community.roster.codes",
    "community.config", "community.i18n", "community.safetext", "community.admin.core", "community.clock",
    "deliberation.concerns.core", "deliberation.concerns.figures", "deliberation.concerns.standing",
    "deliberation.concerns.opendata", "deliberation.concerns.photos",
    "deliberation.procedure.rules", "votes.periods", "votes.delivery", "votes.disclosure", "community.names", "votes.canvass",
    "votes.queries", "community.roles",
    "community.images", "community.postings", "votes.projects.works", "votes.projects.upkeep", "votes.projects.share_card",
}
# The web layer: controllers, page models, live updates, the app shell.
WEB = {"controllers", "views", "live", "web", "feed", "pages", "panels", "room", "wiring", "main", "cli",
       "import_pages", "resident_pages", "control", "edit_controllers", "objection_controllers"}
# Services and stores: transactions and queries, commands in, domain results out.
SERVICES = {
    "votes.services", "votes.casting", "votes.paper", "votes.paper_ballots", "votes.proxies", "votes.ballot_store", "votes.clock",
    "votes.projects.service", "deliberation.meetings", "deliberation.agenda", "deliberation.lifecycle", "deliberation.session", "deliberation.proceedings", "deliberation.comments",
    "deliberation.minutes.service", "deliberation.minutes.drafts", "deliberation.minutes.notices", "deliberation.minutes.gather",
    "votes.projects.works_store", "votes.projects.upkeep_store", "community.posting_store",
    "deliberation.minutes.chain", "deliberation.minutes.audit", "community.accounts", "community.roster.service",
    "community.roster.places", "community.roster.search", "community.roster.verification",
    "community.roster.importer", "community.roster.snapshot", "community.roster.uploads", "community.roster.joining", "community.roster.slips", "community.permissions", "community.events",
    "community.admin.services", "community.admin.staffing", "community.admin.invites", "community.admin.store",
    "community.audit", "votes.proxy_invites",
    "deliberation.concerns.store", "deliberation.concerns.services", "deliberation.concerns.rating",
    "deliberation.concerns.topics", "deliberation.concerns.reports", "deliberation.concerns.street",
    "deliberation.concerns.clock",
    "deliberation.procedure.store", "deliberation.venues", "votes.period_checks", "votes.deliveries",
    "votes.canvass_store", "votes.reminders", "votes.projects.agreement_service", "votes.projects.funding_service",
    "votes.privacy", "community.roster.names", "deliberation.names_check", "votes.duties",
    "votes.result_stage", "votes.result_final", "votes.query_store", "votes.corrections",
    "votes.agenda", "community.publications", "deliberation.meeting_votes",
    "votes.drafting", "votes.opening", "votes.turnout", "votes.counting",
    "votes.projects.store", "votes.projects.budget", "votes.projects.rounds", "votes.projects.voting",
    "votes.projects.consents", "votes.projects.objections", "votes.projects.building",
}
MAX_LINES = 400
# Modules still over the limit, with the size they may not grow past (split as they are next touched).
OVERSIZE = {
}


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "piccolo_migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _owner(name: str) -> str | None:
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports(module: str) -> frozenset[str]:
    """Every module name `module` imports (Yishi's own resolved to modules, others as written)."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            names.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names)
    resolved = set()
    for name in names:
        owner = _owner(name) if name.split(".")[0] in PACKAGES else None
        resolved.add(owner or name)
    return frozenset(resolved - {module})


def own_imports(module: str) -> set[str]:
    return {name for name in imports(module) if name in modules()}


def test_packages_import_only_the_floors_below_them() -> None:
    wrong = []
    for module in modules():
        top = module.split(".")[0]
        for target in own_imports(module):
            other = target.split(".")[0]
            if other == top or other in BELOW[top]:
                continue
            wrong.append(f"{module} -> {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycle_even_through_imports_inside_functions() -> None:
    graph = {module: own_imports(module) for module in modules()}
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_the_core_imports_no_framework_database_or_service() -> None:
    wrong = []
    for module in sorted(CORE):
        assert module in modules(), f"{module} is listed as core but does not exist"
        for name in imports(module):
            if name.split(".")[0] in FRAMEWORKS or (name in modules() and name not in CORE):
                wrong.append(f"{module} -> {name}")
    assert not wrong, "\n".join(wrong)


def test_services_and_stores_import_no_web_code() -> None:
    wrong = []
    for module in sorted(SERVICES):
        assert module in modules(), f"{module} is listed as a service but does not exist"
        for name in own_imports(module):
            if name.rpartition(".")[2] in WEB or name.split(".")[0] == "app":
                wrong.append(f"{module} -> {name}")
    assert not wrong, "\n".join(wrong)


def test_nothing_registers_itself_on_import() -> None:
    """Registration happens in each package's `wiring.register()`, called by app.wiring.register_all()."""
    wrong = []
    for module, path in modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            call = node.value if isinstance(node, ast.Expr) else None
            if isinstance(call, ast.Call) and any(word in ast.unparse(call.func) for word in ("register", "subscribe")):
                wrong.append(f"{module}: {ast.unparse(call)}")
    assert not wrong, "\n".join(wrong)


def test_modules_stay_small_enough_to_read() -> None:
    wrong = []
    for module, path in modules().items():
        rel = str(path.relative_to(ROOT))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        limit = OVERSIZE.get(rel, MAX_LINES)
        if lines > limit:
            wrong.append(f"{rel}: {lines} lines (at most {limit})")
    assert not wrong, "\n".join(wrong)
