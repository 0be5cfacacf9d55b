"""How the board is served: ``/app/`` is the static Mini App (no-cache, no CDN), ``/app/api/`` never answers bad
input with a 500, and the sandbox's dev login exists only in the sandbox's app — with a real BOT_TOKEN (the
product's app) it is a 404, and what the sandbox signs does not open the real board."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.board.mount import STATIC_DIR
from tests.api.board.conftest import MANAGER

SANDBOX_TOKEN = "7000001:TEST-token"


async def test_the_board_page_and_its_files_are_served_under_app(raw):
    page = await raw.get("/app/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert (await raw.get("/app", follow_redirects=False)).headers["location"] == "/app/"
    scripts = sorted(p.name for p in STATIC_DIR.glob("*.js"))
    assert scripts, "the frontend's scripts are in api/static/board"
    script = await raw.get(f"/app/{scripts[0]}")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (await raw.get("/app/no-such-file.js")).status_code == 404
    assert (await raw.get("/app/../api/app.py")).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/app/api/leads/1/move", "not json"),
        ("POST", "/app/api/leads/1/move", "[]"),
        ("POST", "/app/api/leads/1/move", '{"to": 5, "version": "x"}'),
        ("POST", "/app/api/leads/99999999999999999999/move", '{"to": "contacted", "version": 1}'),
        ("POST", "/app/api/leads/abc/move", '{"to": "contacted", "version": 1}'),
        ("POST", "/app/api/leads/1/move", '{"to": "\\ud800", "version": 1}'),
        ("GET", "/app/api/leads/-5", None),
        ("GET", "/app/api/board?q=" + "x" * 500, None),
        ("POST", "/app/api/leads/1/lost", '{"version": 1, "reason": "' + "x" * 600 + '"}'),
        ("POST", "/app/api/leads/1/next-step", '{"version": 1, "due": "\\u0000"}'),
    ],
)
async def test_bad_input_is_a_4xx_with_a_message_never_a_500(board_client, make_lead, method, path, body):
    await make_lead(MANAGER)
    response = await board_client(MANAGER).request(
        method, path, content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"] and response.json()["code"]


async def test_a_wrong_method_is_a_405_naming_the_allowed_one(board_client, people):
    response = await board_client(MANAGER).delete("/app/api/board")
    assert response.status_code == 405 and response.headers["allow"] == "GET"


async def test_the_products_app_has_no_dev_login(raw, people):
    response = await raw.get(f"/app/api/dev-login?user_id={MANAGER}", follow_redirects=False)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.fixture
async def sandbox_client(settings, session_factory, services, people):
    sandbox_settings = settings.model_copy(update={"bot_token": SecretStr(SANDBOX_TOKEN)})
    app = create_app(sandbox_settings, session_factory=session_factory, services=services, dev_login=True)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client, app


async def test_the_sandbox_dev_login_opens_the_board_as_that_user(sandbox_client):
    client, _ = sandbox_client
    response = await client.get(f"/app/api/dev-login?user_id={MANAGER}", follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/app/#dev_init=")
    init_data = unquote(location.split("dev_init=", 1)[1])
    me = await client.get("/app/api/me", headers={"Authorization": f"tma {init_data}"})
    assert me.status_code == 200 and me.json()["user_id"] == MANAGER and me.json()["name"] == "Max Manager"
    as_json = await client.get(f"/app/api/dev-login?user_id={MANAGER}&format=json")
    assert as_json.json()["init_data"].count("hash=") == 1


async def test_what_the_sandbox_signs_does_not_open_the_real_board(sandbox_client, raw):
    client, _ = sandbox_client
    init_data = (await client.get(f"/app/api/dev-login?user_id={MANAGER}&format=json")).json()["init_data"]
    response = await raw.get("/app/api/me", headers={"Authorization": f"tma {init_data}"})
    assert response.status_code == 401


async def test_the_dev_login_answers_only_this_machine_and_only_active_users(
    settings, session_factory, services, people
):
    app = create_app(
        settings.model_copy(update={"bot_token": SecretStr(SANDBOX_TOKEN)}),
        session_factory=session_factory,
        services=services,
        dev_login=True,
    )
    remote = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=remote, base_url="http://board.test") as client:
        assert (await client.get(f"/app/api/dev-login?user_id={MANAGER}")).status_code == 404
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=local, base_url="http://board.test") as client:
        assert (await client.get("/app/api/dev-login?user_id=424242")).status_code == 404
        assert (await client.get("/app/api/dev-login")).status_code == 422
