"""The house's layers, read from the source: imports go one way and never in a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "bot", "api", "cli", "sandbox")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, anywhere in it (function-level imports too), relative ones resolved;
    ``from a import b`` counts as ``a`` and ``a.b`` (``b`` may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _imports(name: str, path: Path) -> Iterator[str]:
    """The project modules ``name`` depends on (a ``from a import b`` of a function counts as ``a``)."""
    for target in imported_modules(path):
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            yield target


GRAPH = {name: sorted(set(_imports(name, path))) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles() == []


def _importers(prefix: str) -> list[str]:
    return [name for name in MODULES if name == prefix or name.startswith(prefix + ".")]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("core", ("bot", "api", "cli", "sandbox")),
        ("core.domain", ("core.services", "core.storage", "core.scoring", "core.config")),
        ("core.scoring", ("core.services", "core.storage")),
        ("core.services", ("core.storage",)),
        ("bot", ("api", "sandbox", "core.storage.repositories", "core.storage.models")),
        ("api", ("bot", "sandbox", "core.storage.repositories", "core.storage.models")),
        # The sandbox gets the bot, the API and the database from cli (cli/sandbox.py assembles them).
        ("sandbox", ("bot", "api", "core.storage")),
    ],
)
def test_layers_import_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = [
        f"{name} -> {target}"
        for name in _importers(layer)
        for target in GRAPH[name]
        if any(target == f or target.startswith(f + ".") for f in forbidden) and not _shared_words(name, target)
    ]
    assert wrong == []


# The pipeline board (api.board, the Mini App) speaks the bot's words: its refusals and names come from the bot's
# catalogue and renderers, and a typed time is read as the bot reads it; nothing else of the bot (handlers,
# keyboards, sessions) is the board's to import.
SHARED_WORDS = {"api.board": ("bot.i18n", "bot.render", "bot.dates")}


def _shared_words(name: str, target: str) -> bool:
    return any(
        (name == owner or name.startswith(owner + "."))
        and any(target == w or target.startswith(w + ".") for w in words)
        for owner, words in SHARED_WORDS.items()
    )


def test_services_and_domain_import_no_framework() -> None:
    frameworks = ("sqlalchemy", "aiogram", "fastapi", "asyncpg")
    wrong = []
    for name in _importers("core.services") + _importers("core.domain"):
        tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            wrong += [f"{name} -> {m}" for m in modules if m.split(".")[0] in frameworks]
    assert wrong == []


def test_the_reader_finds_plain_relative_and_function_level_imports(tmp_path: Path) -> None:
    """A guard for the guard."""
    module = tmp_path / "bot" / "routers" / "leads.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from ...api import app\ndef handler():\n    import api.server\n    from core.storage import uow\n"
    )
    assert imported_modules(module, tmp_path) == {"api", "api.app", "api.server", "core.storage", "core.storage.uow"}
    assert "core.services.ports" in GRAPH["core.services.leads"]


def test_cli_is_where_the_sandbox_meets_the_bot_the_api_and_storage() -> None:
    assert {"bot.app", "api.server", "core.storage.uow", "sandbox.app"} <= set(GRAPH["cli.sandbox"])
