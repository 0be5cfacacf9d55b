"""The API answers what it publishes: schemathesis generates requests from /openapi.json (valid and invalid
ones) against the real app under uvicorn, and every answer must match the published schema — error bodies
included — and none may be a 5xx. A 405 names the allowed methods in ``Allow``."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api.server import serve_async
from core.services.api_keys import create_api_key
from core.storage.uow import SqlUnitOfWork

EXAMPLES_PER_OPERATION = 25  # per generation mode: ~550 requests in all


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def api_in_a_thread(settings) -> Iterator[str]:
    """The real API (its own engine, uvicorn, a real port) in a thread with its own loop: schemathesis calls
    it synchronously."""
    port = _free_port()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(serve_async(settings, "127.0.0.1", port, stop_event=stop),)
    )
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base_url + "/health", timeout=1.0)
                break
            except httpx.TransportError:
                threading.Event().wait(0.05)
        yield base_url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=15)
        loop.close()


async def test_schemathesis_finds_no_schema_violation_and_no_server_error(settings, committing_factory) -> None:
    _, key = await create_api_key(SqlUnitOfWork(committing_factory), "schemathesis")
    relaxed = settings.model_copy(update={"api_key_max_failures": 1_000_000})
    calls = [0]
    with api_in_a_thread(relaxed) as base_url:
        async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}) as client:
            for source in ("manual", "partner", "scanner"):  # a few leads for the generated ids to find
                assert (await client.post("/leads/", json={"source": source})).status_code == 201
        schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @hypothesis_settings(
                    max_examples=EXAMPLES_PER_OPERATION,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode, headers={"X-API-Key": key}))
                def probe(case) -> None:
                    calls[0] += 1
                    response = case.call(base_url=base_url, timeout=10)
                    # raises schemathesis' FailureGroup (with a curl line to reproduce) on any violation or 5xx
                    case.validate_response(
                        response, checks=[not_a_server_error, response_schema_conformance, status_code_conformance]
                    )

                try:
                    probe()
                except Unsatisfiable:  # nothing to make invalid (GET /health has no parameters)
                    assert mode == GenerationMode.NEGATIVE
    assert calls[0] > 200  # every one of them answered as published


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/leads/1", "GET, PATCH"),
        ("PUT", "/leads", "GET, POST"),
        ("DELETE", "/leads/1/activities", "GET, POST"),
        ("GET", "/leads/1/stage", "PATCH"),
        ("POST", "/health", "GET"),
    ],
)
async def test_a_405_names_every_method_the_path_has_in_allow(client, method, path, allowed) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_the_published_422_is_the_body_the_api_sends(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    published = spec["paths"]["/leads/"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert published == {"$ref": "#/components/schemas/ValidationErrorOut"}
    assert spec["components"]["schemas"]["ValidationErrorOut"]["properties"]["detail"]["type"] == "string"
    body = (await client.post("/leads/", json={"source": "nope"})).json()
    assert isinstance(body["detail"], str) and body["errors"][0]["loc"] == ["body", "source"]


def _statuses_a_route_returns(method: str, path: str) -> set[str]:
    """What the code can answer besides 2xx, by the route's shape: every route validates its query (422) and
    body size (413) and may find the database down (503); the keyed routes add 401/403/429 (key, role, too
    many wrong keys) and 409 (a write lost a race, or a stale version; not /webhooks, which has neither, nor the
    read-only /reports and /leads/export); a path with an id adds 404. /health (liveness) touches no database:
    no 503; /ready is open."""
    codes = {413, 422} if path == "/health" else {413, 422, 503}
    open_route = path in ("/health", "/ready")
    if not open_route:
        codes |= {401, 403, 429}
    if not open_route and not path.startswith(("/webhooks", "/reports", "/leads/export")):
        codes.add(409)
    if "{" in path:
        codes.add(404)
    return {str(code) for code in codes}


async def test_openapi_documents_every_status_each_route_returns(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(operations) >= 10
    for method, path, op in operations:
        documented = set(op["responses"])
        missing = _statuses_a_route_returns(method, path) - documented
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"
        for code in documented - {"200", "201", "204"}:
            content = op["responses"][code].get("content", {}).get("application/json", {})
            assert "$ref" in content.get("schema", {}), f"{method.upper()} {path} {code} has no body schema"
