"""Every /app/api/ request is the Mini App's initData: a forged, expired, future-dated or missing one, or one of
a stranger or a deactivated user, is a 401 with a message (never a 500), and nothing is read or changed."""

from __future__ import annotations

import time

import pytest

from tests.api.board.conftest import INACTIVE, MANAGER, init_data_for
from tests.initdata import forge, sign_init_data


async def _me(raw, init_data: str | None):
    headers = {"Authorization": f"tma {init_data}"} if init_data is not None else {}
    return await raw.get("/app/api/me", headers=headers)


async def test_signed_init_data_of_an_active_user_names_them_and_their_language(board_client, people):
    response = await board_client(MANAGER, language_code="en").get("/app/api/me")
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == MANAGER and body["role"] == "manager" and body["lang"] == "en"
    assert body["sees_all"] is False and body["deals"] is False
    assert body["texts"]["lead_stage.contacted"] == "Contacted"


async def test_a_russian_user_gets_russian_texts(board_client, people):
    body = (await board_client(MANAGER, language_code="ru").get("/app/api/me")).json()
    assert body["lang"] == "ru"
    assert body["texts"]["lead_stage.new"] != "New"  # translated by the bot's catalogue


@pytest.mark.parametrize(
    ("init_data", "words"),
    [
        (None, "Authorization"),
        ("", "Authorization"),
        ("garbage-without-a-hash", "signature"),
        (forge(init_data_for(MANAGER)), "signature"),
        (sign_init_data("999:another-bots-token", MANAGER), "signature"),
        (init_data_for(MANAGER, auth_date=int(time.time()) - 3601), "expired"),
        (init_data_for(MANAGER, auth_date=int(time.time()) + 600), "future"),
        (init_data_for(424242), "not an active user"),
        (init_data_for(INACTIVE), "not an active user"),
        ("x" * 5000, "Authorization"),
    ],
    ids=[
        "missing",
        "empty",
        "no-hash",
        "forged-user",
        "other-bot",
        "expired",
        "future",
        "stranger",
        "inactive",
        "huge",
    ],
)
async def test_refused_init_data_is_a_401_with_a_message(raw, people, init_data, words):
    response = await _me(raw, init_data)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "auth" and words in body["detail"]
    assert response.headers["www-authenticate"] == "tma"


async def test_a_wrong_scheme_is_refused(raw, people):
    response = await raw.get("/app/api/board", headers={"Authorization": f"Bearer {init_data_for(MANAGER)}"})
    assert response.status_code == 401 and response.json()["code"] == "auth"


async def test_init_data_a_little_ahead_of_the_server_clock_is_accepted(raw, people):
    response = await _me(raw, init_data_for(MANAGER, auth_date=int(time.time()) + 30))
    assert response.status_code == 200


async def test_the_age_limit_is_a_setting(raw, people, app):
    app.state.settings.webapp_auth_max_age_seconds = 60
    response = await _me(raw, init_data_for(MANAGER, auth_date=int(time.time()) - 120))
    assert response.status_code == 401 and "expired" in response.json()["detail"]


async def test_without_a_bot_token_nothing_is_accepted(raw, people, app):
    app.state.settings.bot_token = None
    response = await _me(raw, init_data_for(MANAGER))
    assert response.status_code == 401 and "BOT_TOKEN" in response.json()["detail"]


async def test_an_action_with_forged_init_data_changes_nothing(raw, people, make_lead, board_client):
    lead = await make_lead(MANAGER)
    forged = forge(init_data_for(MANAGER))
    response = await raw.post(
        f"/app/api/leads/{lead.id}/move",
        json={"to": "contacted", "version": lead.version},
        headers={"Authorization": f"tma {forged}"},
    )
    assert response.status_code == 401
    detail = (await board_client(MANAGER).get(f"/app/api/leads/{lead.id}")).json()
    assert detail["card"]["stage"] == "new" and detail["card"]["version"] == lead.version
