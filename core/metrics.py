"""The product's Prometheus metrics (prometheus-client, the default registry: the process collectors come with
it). The bot and the API record into them where things happen; ``exposition`` renders them for ``/metrics``
after refreshing the gauges that are read at scrape time (the backlog from the database, the pool in use).

Infrastructure like ``core.storage``: the domain and the services never import it (services report scoring
times through ``Services.observe_scoring``)."""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from core.services.backlog import backlog
from core.services.ports import UnitOfWork

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
FAST = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

UPDATES = Counter("leadcrm_updates", "Telegram updates handled", ["type", "outcome"])
UPDATE_SECONDS = Histogram("leadcrm_update_seconds", "Time to handle one update", ["type"], buckets=FAST)
OUTBOX_SENT = Counter("leadcrm_outbox_sent", "Notifications Telegram accepted")
OUTBOX_RETRIED = Counter("leadcrm_outbox_retried", "Notification attempts that failed and will be retried")
OUTBOX_FAILED = Counter("leadcrm_outbox_failed", "Notifications given up")
RATE_WAITS = Counter("leadcrm_ratelimit_waits", "Notifications held back by Telegram's flood limits")
RATE_WAIT_SECONDS = Histogram(
    "leadcrm_ratelimit_wait_seconds", "How long a held-back notification must wait", buckets=(0.1, 0.5, 1, 5, 20, 60)
)
API_SECONDS = Histogram(
    "leadcrm_api_request_seconds", "REST API requests by route template and status", ["method", "route", "status"]
)
SCORING_SECONDS = Histogram("leadcrm_scoring_seconds", "Time to score one lead", ["version"], buckets=FAST)
SCORER = Gauge("leadcrm_scorer_info", "The scorer version last used (1)", ["version"])
DB_POOL_IN_USE = Gauge("leadcrm_db_pool_in_use", "Database connections checked out of this process's pool")
INBOX_PENDING = Gauge("leadcrm_inbox_pending", "Stored Telegram updates not applied yet")
INBOX_OLDEST = Gauge("leadcrm_inbox_oldest_seconds", "Age of the oldest update not applied yet")
OUTBOX_PENDING = Gauge("leadcrm_outbox_pending", "Notifications waiting to be sent")
OUTBOX_RETRYING = Gauge("leadcrm_outbox_retrying", "Waiting notifications that were tried before")
OUTBOX_OLDEST_DUE = Gauge("leadcrm_outbox_oldest_due_seconds", "How long the longest-waiting due notification waited")
WEBHOOK_REQUESTS = Counter(
    "leadcrm_webhook_requests",
    "Telegram's webhook posts by outcome: stored, redelivered, unauthorized (wrong or missing secret), "
    "bad_request, unavailable (database away: 503)",
    ["outcome"],
)
INBOX_LEASES = Counter("leadcrm_inbox_leases", "Stored updates this replica leased to apply (webhook mode)")
INBOX_LEASES_TAKEN_OVER = Counter(
    "leadcrm_inbox_leases_taken_over", "Updates leased after another replica's lease on them expired (it died)"
)
INBOX_LEASES_RELEASED = Counter("leadcrm_inbox_leases_released", "Leases given back unapplied when a replica drained")
BACKLOG_UP = Gauge("leadcrm_backlog_up", "1 when the last scrape could read the backlog from the database")

_last_version: list[str] = []


def observe_scoring(version: str, seconds: float) -> None:
    """``Services.observe_scoring`` of the bot and the API."""
    SCORING_SECONDS.labels(version).observe(seconds)
    if _last_version != [version]:
        if _last_version:
            SCORER.remove(_last_version[0])
        _last_version[:] = [version]
        SCORER.labels(version).set(1)


async def exposition(uow: UnitOfWork | None, pool_in_use: int | None = None) -> bytes:
    """Every metric in the text format, the backlog read now (``uow``: None leaves it out) and the pool's
    connections in use (``core.storage.db.pool_in_use``; None leaves it as it was)."""
    if pool_in_use is not None:
        DB_POOL_IN_USE.set(pool_in_use)
    if uow is not None:
        try:
            now = await backlog(uow)
        except Exception as error:  # a scrape must answer even when the database does not
            log.warning("metrics: backlog unavailable: %s", type(error).__name__)
            BACKLOG_UP.set(0)
        else:
            BACKLOG_UP.set(1)
            INBOX_PENDING.set(now.inbox_pending)
            INBOX_OLDEST.set(now.inbox_oldest_seconds)
            OUTBOX_PENDING.set(now.outbox_pending)
            OUTBOX_RETRYING.set(now.outbox_retrying)
            OUTBOX_OLDEST_DUE.set(now.outbox_oldest_due_seconds)
    return generate_latest(REGISTRY)
