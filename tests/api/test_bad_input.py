"""Garbage in, a 4xx with a message out: never a 500, never a traceback."""

from __future__ import annotations

import json
import random

import pytest

BIG = 2**63


@pytest.fixture
async def lead_id(client) -> int:
    return (await client.post("/leads/", json={"source": "manual"})).json()["id"]


# (method, path template, raw body or JSON-able body, expected status, text the message must contain)
RAW = object()
CASES = [
    # bodies that are not JSON objects
    ("POST", "/leads/", b"{not json", 422, "not valid JSON"),
    ("POST", "/leads/", b"", 422, "the request body is missing: send a JSON object"),
    ("POST", "/leads/", b"[]", 422, "the body must be a JSON object"),
    ("POST", "/leads/", b'"scanner"', 422, "the body must be a JSON object"),
    ("POST", "/leads/", b"null", 422, "the body must be a JSON object"),
    ("POST", "/leads/", b"[" * 50_000 + b"]" * 50_000, 400, "error"),
    ("POST", "/leads/", b'{"source": "manual", "attributes": {"n": 1' + b"0" * 5000 + b"}}", 400, "error"),
    # unknown / missing / wrongly typed fields
    ("POST", "/leads/", {"source": "manual", "owner": 1}, 422, "owner: unknown field"),
    ("POST", "/leads/", {"source": "manual", "stage": "qualified"}, 422, "stage: unknown field"),
    ("POST", "/leads/", {"business_domain": "fintech"}, 422, "source: must not be empty"),
    ("POST", "/leads/", {"source": "cold-call"}, 422, "'scanner', 'partner' or 'manual'"),
    ("POST", "/leads/", {"source": 1}, 422, "source"),
    ("POST", "/leads/", {"source": None}, 422, "source"),
    ("POST", "/leads/", {"source": "manual", "name": 123}, 422, "name"),
    ("POST", "/leads/", {"source": "manual", "attributes": [1, 2]}, 422, "attributes"),
    ("POST", "/leads/", {"source": "manual", "attributes": {"a": {"b": 1}}}, 422, "attributes"),
    ("POST", "/leads/", {"source": "manual", "attributes": {str(i): i for i in range(51)}}, 422, "at most 50 keys"),
    # sizes
    ("POST", "/leads/", {"source": "manual", "name": "x" * 201}, 422, "name: String should have at most 200"),
    ("POST", "/leads/", {"source": "manual", "contact": "a" * 190 + "@example.com"}, 422, "contact"),
    ("POST", "/leads/", {"source": "manual", "business_domain": "d" * 101}, 422, "business_domain"),
    ("POST", "/leads/", {"source": "manual", "attributes": {"k": "v" * 501}}, 422, "at most 500"),
    ("POST", "/leads/", {"source": "manual", "attributes": {"k" * 51: 1}}, 422, "keys must be"),
    (
        "POST",
        "/leads/{id}/activities",
        {"kind": "note", "text": "t" * 4001},
        422,
        "text: String should have at most 4000",
    ),
    ("PATCH", "/leads/{id}/stage", {"stage": "lost", "reason": "r" * 501}, 422, "reason"),
    # values the database could not store
    ("POST", "/leads/", {"source": "manual", "name": "nul\x00byte"}, 422, "name: must not contain NUL"),
    ("POST", "/leads/", {"source": "manual", "contact": "+7 900\x00 1234"}, 422, "contact: must not contain NUL"),
    ("POST", "/leads/", {"source": "manual", "business_domain": "saas\x00"}, 422, "business_domain: must not"),
    ("POST", "/leads/", {"source": "manual", "attributes": {"k": "nul\x00"}}, 422, "attributes: 'k': must not"),
    ("POST", "/leads/", {"source": "manual", "attributes": {"nul\x00": 1}}, 422, "attributes: must not contain NUL"),
    ("PATCH", "/leads/{id}", {"name": "\x00"}, 422, "name: must not contain NUL"),
    ("PATCH", "/leads/{id}/stage", {"stage": "lost", "reason": "r\x00"}, 422, "reason: must not contain NUL"),
    ("POST", "/leads/", b'{"source": "manual", "name": "\\ud800"}', 422, "name: Input should be a valid string"),
    ("POST", "/leads/", b'{"source": "manual", "attributes": {"k": "\\udfff"}}', 422, "attributes"),
    ("POST", "/leads/", b'{"source": "manual", "attributes": {"x": NaN}}', 422, "finite"),
    ("POST", "/leads/", b'{"source": "manual", "attributes": {"x": Infinity}}', 422, "finite"),
    ("POST", "/leads/{id}/activities", {"kind": "note", "text": "a\x00b"}, 422, "text: must not contain NUL"),
    # domain validation
    ("POST", "/leads/", {"source": "manual", "business_domain": "astrology"}, 422, "not in the catalogue"),
    ("POST", "/leads/", {"source": "manual", "contact": "call me maybe"}, 422, "contact: expected a phone number"),
    ("POST", "/leads/{id}/activities", {"kind": "telepathy"}, 422, "'call', 'message', 'meeting', 'email' or 'note'"),
    ("POST", "/leads/{id}/activities", {"kind": "call", "author": "me"}, 422, "author: unknown field"),
    ("PATCH", "/leads/{id}", {}, 422, "send at least one of"),
    ("PATCH", "/leads/{id}", {"stage": "lost"}, 422, "stage: unknown field"),
    ("PATCH", "/leads/{id}/stage", {}, 422, "stage: Field required"),
    ("PATCH", "/leads/{id}/stage", {"stage": ["lost"]}, 422, "stage"),
    ("PATCH", "/leads/{id}/stage", {"stage": "s" * 51}, 422, "stage"),
    # ids
    ("GET", "/leads/abc", None, 422, "lead_id"),
    ("GET", "/leads/1.5", None, 422, "lead_id"),
    # ids outside BIGINT name no row: "not found", like any other id without a row
    ("GET", f"/leads/{BIG}", None, 404, "Lead not found"),
    ("GET", f"/leads/{-BIG - 1}", None, 404, "Lead not found"),
    ("GET", f"/leads/{10**30}", None, 404, "Lead not found"),
    ("PATCH", f"/leads/{BIG}", {"name": "x"}, 404, "Lead not found"),
    ("PATCH", f"/leads/{BIG}/stage", {"stage": "lost"}, 404, "Lead not found"),
    ("POST", f"/leads/{BIG}/analyze", None, 404, "Lead not found"),
    ("POST", f"/leads/{BIG}/activities", {"kind": "call"}, 404, "Lead not found"),
    ("GET", f"/leads/{BIG}/activities", None, 404, "Lead not found"),
    ("GET", f"/leads/{BIG}/history", None, 404, "Lead not found"),
    ("GET", f"/sales/{BIG}", None, 404, "Sale not found"),
    ("GET", f"/sales/{-BIG - 1}", None, 404, "Sale not found"),
    ("PATCH", f"/sales/{10**30}/stage", {"stage": "kyc"}, 404, "Sale not found"),
    ("GET", f"/leads?owner_id={BIG}", None, 422, "owner_id"),
    ("GET", f"/leads/{BIG - 1}", None, 404, "Lead not found"),
    ("GET", f"/leads/{-BIG}", None, 404, "Lead not found"),
    ("GET", "/leads/0", None, 404, "Lead not found"),
    # paths that do not exist answer 404/405, not a redirect
    ("GET", "/leads/1/", None, 404, "Not Found"),
    ("DELETE", "/leads/{id}", None, 405, "Method Not Allowed"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "needle"), CASES)
async def test_bad_input_is_a_4xx_with_a_message(client, lead_id, method, path, body, status, needle) -> None:
    path = path.replace("{id}", str(lead_id))
    if isinstance(body, bytes):
        response = await client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    elif body is None:
        response = await client.request(method, path)
    else:
        response = await client.request(method, path, json=body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and needle in detail


async def test_a_lead_survives_a_rejected_request_unchanged(client, lead_id) -> None:
    before = (await client.get(f"/leads/{lead_id}")).json()
    await client.patch(f"/leads/{lead_id}", json={"name": "ok", "contact": "nope nope"})
    assert (await client.get(f"/leads/{lead_id}")).json() == before


def _garbage(rng: random.Random, depth: int = 0):
    choice = rng.randrange(10 if depth < 3 else 7)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 2**63, -(2**63) - 1, 10**20, 3.5, -0.0, 1e308])
    if choice in (3, 4, 5, 6):
        return rng.choice(
            [
                "",
                " ",
                "manual",
                "new",
                "lost",
                "transferred",
                "call",
                "fintech",
                "x" * 5000,
                "\x00",
                "é✓",
                "'; DROP TABLE leads; --",
                "@user",
                "+7 900",
                "null",
                "{}",
                "\t\n",
            ]
        )
    if choice in (7, 8):
        return [_garbage(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["source", "stage", "kind", "text", "name", "contact", "business_domain", "attributes", "reason", "zzz"]
    return {rng.choice(keys): _garbage(rng, depth + 1) for _ in range(rng.randrange(5))}


async def test_random_garbage_never_causes_a_server_error(client, lead_id) -> None:
    rng = random.Random(20261125)
    routes = [
        ("POST", "/leads/"),
        ("PATCH", f"/leads/{lead_id}"),
        ("PATCH", f"/leads/{lead_id}/stage"),
        ("POST", f"/leads/{lead_id}/activities"),
        ("POST", f"/leads/{lead_id}/analyze"),
    ]
    statuses = set()
    for _ in range(400):
        method, path = rng.choice(routes)
        body = _garbage(rng)
        if rng.random() < 0.7:
            body = {"source": "manual", **body} if isinstance(body, dict) and path == "/leads/" else body
        response = await client.request(
            method, path, content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (method, path, body, response.text)
        statuses.add(response.status_code)
        if response.status_code >= 400:
            assert isinstance(response.json()["detail"], str)
    assert 422 in statuses  # the generator did produce invalid input


@pytest.mark.parametrize(
    "query",
    ["stage=%00", "source=%FF", "cursor=%00", "limit=-1", "limit=1e3", "owner_id=1.5", "limit=", "cursor="],
)
async def test_garbage_query_strings_are_4xx(client, query) -> None:
    response = await client.get(f"/leads?{query}")
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json()["detail"], str)


async def test_an_oversized_body_is_413_before_it_is_parsed(client) -> None:
    from api.app import MAX_BODY_BYTES

    body = b'{"source": "manual", "name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await client.post("/leads/", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert isinstance(response.json()["detail"], str)


async def test_an_oversized_chunked_body_is_refused_too(client) -> None:
    from api.app import MAX_BODY_BYTES

    async def chunks():
        yield b'{"source": "manual", "name": "'
        for _ in range(3 * MAX_BODY_BYTES // 65536):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post("/leads/", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"  # not FastAPI's text/plain
    assert "too large" in response.json()["detail"]


async def test_a_chunked_body_below_the_limit_still_creates_the_lead(client) -> None:
    async def chunks():
        yield b'{"source": "manual", '
        yield b'"name": "Chunked"}'

    response = await client.post("/leads/", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Chunked"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_without_a_json_content_type_is_told_which_one_to_send(client, content_type) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/leads/", content=b'{"source": "manual"}', headers=headers)
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "param"),
    [
        ("GET", "/leads", "stgae"),
        ("GET", "/leads/{id}", "verbose"),
        ("POST", "/leads/", "allow"),
        ("GET", "/leads/{id}/activities", "page"),
        ("GET", "/health", "x"),
    ],
)
async def test_an_unknown_query_parameter_is_422_naming_it_on_every_route(client, lead_id, method, path, param) -> None:
    body = {"source": "manual"} if method == "POST" else None
    response = await client.request(method, path.format(id=lead_id), params={param: "1"}, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"{param}: unknown query parameter"


async def test_known_query_parameters_still_pass(client) -> None:
    response = await client.get("/leads", params={"stage": "new", "limit": 2})
    assert response.status_code == 200, response.text
