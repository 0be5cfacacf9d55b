"""Which top-level package may import which, read from the source (AST, no import needed).

The bot does not import the REST API. The sandbox gets the bot, the API and the database from ``cli``
(``cli/sandbox.py`` assembles them): it imports none of them and nothing of ``core.storage``; it may use
``core.services``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = [  # (package whose files are checked, package they must not import)
    ("bot", "api"),
    ("sandbox", "core.storage"),
    ("sandbox", "bot"),
    ("sandbox", "api"),
]


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


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(package: str, forbidden: str, root: Path = ROOT) -> list[str]:
    return sorted(
        f"{path.relative_to(root)} imports {module}"
        for path in (root / package).rglob("*.py")
        for module in imported_modules(path, root)
        if _within(module, forbidden)
    )


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN, ids=[f"{p}-not-{f}" for p, f in FORBIDDEN])
def test_package_does_not_import(package: str, forbidden: str) -> None:
    assert (ROOT / package).is_dir()
    assert violations(package, forbidden) == []


def test_the_check_finds_plain_relative_and_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "bot" / "routers" / "leads.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from ...api import app\ndef handler():\n    import api.server\n    from core.storage import uow\n"
    )
    assert violations("bot", "api", tmp_path) == [
        "bot/routers/leads.py imports api",
        "bot/routers/leads.py imports api.app",
        "bot/routers/leads.py imports api.server",
    ]
    assert violations("bot", "core.storage", tmp_path) == [
        "bot/routers/leads.py imports core.storage",
        "bot/routers/leads.py imports core.storage.uow",
    ]


def test_cli_is_where_the_sandbox_meets_the_bot_the_api_and_storage() -> None:
    modules = imported_modules(ROOT / "cli" / "sandbox.py")
    assert {"bot.app", "api.server", "core.storage.uow", "sandbox.app"} <= modules
