"""The package's layering: no import cycle among its modules (imports inside functions count too), and the command
line reaches the library only through its public face (forecasts.api) and its own presentation helpers."""

from __future__ import annotations

import ast
from pathlib import Path

import forecasts

PACKAGE = Path(forecasts.__file__).parent


def _modules() -> dict[str, Path]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return mods


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports anywhere in its text (a `from pkg import name` also counts pkg)."""
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = m.split(".") if f.name == "__init__.py" else m.split(".")[:-1]
                    base = ".".join(here[: len(here) - (node.level - 1)] + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != m and t != "forecasts":
                    edges[m].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected sets of two or more modules (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_the_cycle_counter_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


# The command line's own helpers: presentation (tables, text, numbers as shown, score headers), argument parsing,
# the command group, the progress spinner and the neutralising of control characters in what it prints.
# Everything else it reaches through forecasts.api.
CLI_HELPERS = {
    "forecasts.api",
    "forecasts.cli_group",
    "forecasts.cliparams",
    "forecasts.cli_help",  # --help examples and completion callbacks (names through forecasts.api)
    "forecasts.client",  # the command line's transport to a team server (urllib, no library code)
    "forecasts.numbers",
    "forecasts.progress",
    "forecasts.safetext",
    "forecasts.score_labels",
    "forecasts.termtable",
    "forecasts.textout",
}
CLI_MODULES = (
    "forecasts.cli",
    "forecasts.cli_group",
    "forecasts.cliparams",
    "forecasts.cli_server",
    "forecasts.cli_help",
)
SKINS = {"forecasts.server.app"}  # `forecasts serve` starts the web skin, the other front end over the same face


def test_the_cli_reaches_the_library_only_through_the_face():
    edges = import_graph()
    for mod in CLI_MODULES:
        assert edges[mod] - CLI_HELPERS - set(CLI_MODULES) - SKINS == set(), mod


def test_the_cli_holds_no_sql():
    import re

    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\b|\.execute\(|\.query\(|\.conn\b")
    for mod in CLI_MODULES:
        text = (PACKAGE / (mod.split(".")[1] + ".py")).read_text(encoding="utf-8")
        assert not sql.findall(text), mod


def test_every_name_of_the_face_resolves_to_the_library_object():
    from forecasts import api
    from forecasts.sync import sync

    for name in api.__all__:
        assert getattr(api, name) is not None, name
    assert api.sync is sync
    assert issubclass(api.ForecastsError, Exception)
