"""``leadcrm webhook add / list / rotate-secret / remove`` and ``api-key create --source`` as a user runs them."""

from __future__ import annotations

import uuid

from tests.api.test_cli_api_keys import _leadcrm


def test_a_webhook_is_added_listed_rotated_and_removed_from_the_cli(database_url) -> None:
    url = f"https://hooks.example.com/{uuid.uuid4().hex[:8]}"
    added = _leadcrm(database_url, "webhook", "add", url, "--events", "lead.created,sale.stage_changed")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    hook_id = added.stdout.split("#", 1)[1].split(" ", 1)[0]
    listed = _leadcrm(database_url, "webhook", "list")
    line = next(row for row in listed.stdout.splitlines() if url in row)
    assert line.startswith(f"#{hook_id}\t") and "lead.created,sale.stage_changed" in line
    assert secret not in listed.stdout  # shown once
    rotated = _leadcrm(database_url, "webhook", "rotate-secret", hook_id)
    assert rotated.returncode == 0 and rotated.stdout.strip().splitlines()[-1] not in (secret, "")
    removed = _leadcrm(database_url, "webhook", "remove", hook_id)
    assert removed.returncode == 0 and f"#{hook_id} removed" in removed.stdout
    again = _leadcrm(database_url, "webhook", "remove", hook_id)
    assert again.returncode == 2 and f"No webhook #{hook_id}" in again.stdout
    assert url not in _leadcrm(database_url, "webhook", "list").stdout


def test_a_webhook_with_an_unknown_event_or_a_plain_http_url_is_a_clear_error(database_url) -> None:
    unknown = _leadcrm(database_url, "webhook", "add", "https://x.example.com", "--events", "lead.deleted")
    assert unknown.returncode == 2 and "'lead.deleted' is not one of" in unknown.stdout
    plain = _leadcrm(database_url, "webhook", "add", "http://x.example.com", "--events", "lead.created")
    assert plain.returncode == 2 and "https" in plain.stdout
    assert "Traceback" not in unknown.stderr + plain.stderr


def test_a_key_scoped_to_a_source_says_so_when_made_and_listed(database_url) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = _leadcrm(database_url, "api-key", "create", name, "--source", "partner")
    assert made.returncode == 0 and "creates 'partner' leads only" in made.stdout
    line = next(row for row in _leadcrm(database_url, "api-key", "list").stdout.splitlines() if row.startswith(name))
    assert "source partner" in line
    bad = _leadcrm(database_url, "api-key", "create", name + "x", "--source", "fax")
    assert bad.returncode == 2 and "'fax' is not one of" in bad.stdout
