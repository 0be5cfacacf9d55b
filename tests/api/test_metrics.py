"""GET /metrics: Prometheus' text format with the API's latencies by route template and status (a random path
is "unmatched"), and the deployment's backlog read from the database."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from core.domain.clock import utcnow
from core.storage.models import OutboxRow


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_requests_are_timed_by_route_template_and_status(anon) -> None:
    await anon.get("/leads/123")  # no key: 401
    await anon.get("/no/such/path/9f3a")
    response = await anon.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    key = ("leadcrm_api_request_seconds_count", (("method", "GET"), ("route", "/leads/{lead_id}"), ("status", "401")))
    assert samples[key] >= 1
    assert (
        samples[("leadcrm_api_request_seconds_count", (("method", "GET"), ("route", "unmatched"), ("status", "404")))]
        >= 1
    )
    assert not any("9f3a" in text for _name, labels in samples for _k, text in labels)


async def test_the_backlog_is_read_from_the_database_at_scrape_time(anon, session_factory) -> None:
    async with session_factory() as session, session.begin():
        session.add(OutboxRow(dedupe_key="m-1", chat_id=1, payload={}, next_attempt_at=utcnow() - timedelta(minutes=5)))
        session.add(OutboxRow(dedupe_key="m-2", chat_id=2, payload={}, attempts=2))
    samples = _samples((await anon.get("/metrics")).text)
    assert samples[("leadcrm_backlog_up", ())] == 1
    assert samples[("leadcrm_outbox_pending", ())] == 2 and samples[("leadcrm_outbox_retrying", ())] == 1
    assert 290 < samples[("leadcrm_outbox_oldest_due_seconds", ())] < 400
    assert ("leadcrm_inbox_pending", ()) in samples and ("leadcrm_db_pool_in_use", ()) in samples
