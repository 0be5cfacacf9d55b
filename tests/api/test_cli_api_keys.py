"""``leadcrm api-key create / list / revoke`` as a user runs them, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from api.app import create_app

LEADCRM = Path(sys.executable).with_name("leadcrm")
ROOT = Path(__file__).resolve().parents[2]


def _leadcrm(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [str(LEADCRM), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_a_key_made_by_the_cli_works_until_it_is_revoked(
    database_url, settings, session_factory, services
) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    created = _leadcrm(database_url, "api-key", "create", name)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("lcrm_")

    listed = _leadcrm(database_url, "api-key", "list")
    assert listed.returncode == 0
    line = next(row for row in listed.stdout.splitlines() if row.startswith(name + "\t"))
    assert "active" in line and secret not in listed.stdout  # the secret is never shown again

    app = create_app(settings, session_factory=session_factory, services=services, api_key_cache_seconds=0)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers={"X-API-Key": secret}
    ) as client:
        response = await client.post("/leads/", json={"source": "partner"})
        assert response.status_code == 201

        revoked = _leadcrm(database_url, "api-key", "revoke", name)
        assert revoked.returncode == 0 and f"'{name}' revoked" in revoked.stdout
        assert (await client.get("/leads")).status_code == 401

    listed = _leadcrm(database_url, "api-key", "list")
    assert "revoked" in next(row for row in listed.stdout.splitlines() if row.startswith(name + "\t"))


def test_creating_a_key_with_a_taken_name_or_revoking_an_unknown_one_is_a_clear_error(database_url) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert _leadcrm(database_url, "api-key", "create", name).returncode == 0
    again = _leadcrm(database_url, "api-key", "create", name)
    assert again.returncode == 2 and f"an API key named '{name}' already exists" in again.stdout
    unknown = _leadcrm(database_url, "api-key", "revoke", "no-such-key-" + name)
    assert unknown.returncode == 2 and "No API key named" in unknown.stdout
    assert "Traceback" not in again.stderr + unknown.stderr
