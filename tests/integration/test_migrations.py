"""The schema comes only from alembic: up -> down -> up on an empty database, constraints in the database."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from core.storage.migrate import downgrade, upgrade

TABLES = {
    "users",
    "invites",
    "api_keys",
    "leads",
    "activities",
    "stage_changes",
    "sales",
    "sale_stage_changes",
    "outbox",
    "inbox",
    "model_versions",
    "lead_events",
    "team_settings",
    "idempotency_keys",
}


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def test_migrations_go_up_down_and_up_again_on_an_empty_database(database_url: str) -> None:
    name = f"leadcrm_mig_{uuid.uuid4().hex[:8]}"
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        assert await _tables(url) >= TABLES
        await asyncio.to_thread(downgrade, url, "base")
        assert await _tables(url) == set()
        await asyncio.to_thread(upgrade, url)
        assert await _tables(url) >= TABLES
    finally:
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("INSERT INTO leads (source, ai_score) VALUES ('manual', 1.5)", IntegrityError),
        ("INSERT INTO leads (source, ai_score) VALUES ('manual', -0.1)", IntegrityError),
        ("INSERT INTO leads (source) VALUES ('cold_call')", DBAPIError),
        ("INSERT INTO leads (source, stage) VALUES ('manual', 'won')", DBAPIError),
        ("INSERT INTO leads (source, activity_count) VALUES ('manual', -1)", IntegrityError),
        ("INSERT INTO activities (lead_id, kind, author) VALUES (999999, 'call', 'x')", IntegrityError),
    ],
)
async def test_the_database_itself_refuses_invalid_rows(session_factory, sql: str, error: type[Exception]) -> None:
    async with session_factory() as session:
        with pytest.raises(error):
            await session.execute(text(sql))


async def test_a_lead_can_have_only_one_sale(session_factory) -> None:
    async with session_factory() as session:
        lead_id = (await session.execute(text("INSERT INTO leads (source) VALUES ('partner') RETURNING id"))).scalar()
        await session.execute(text("INSERT INTO sales (lead_id) VALUES (:id)"), {"id": lead_id})
        with pytest.raises(IntegrityError):
            await session.execute(text("INSERT INTO sales (lead_id) VALUES (:id)"), {"id": lead_id})


async def test_indexes_exist_for_the_lists_users_run(session_factory) -> None:
    async with session_factory() as session:
        rows = await session.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'leads'"))
        defs = {name: d for name, d in rows}
    assert "(owner_id, stage, updated_at DESC, id DESC)" in defs["ix_leads_owner_stage_updated"]
    assert "ix_leads_contact" not in defs  # migration 0022: contacts are looked up in lead_contacts
    assert "UNIQUE" in defs["uq_leads_external_id"]


async def test_preset_lost_reasons_stored_as_labels_become_codes(database_url: str) -> None:
    """Migration 0002: a preset's Russian or English label becomes its code; other text stays text."""
    name = f"leadcrm_mig_{uuid.uuid4().hex[:8]}"
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url, "0001")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for reason in ("Нет бюджета", "No budget", "Chose a competitor", "ушёл к другу"):
                lead_id = (
                    await conn.execute(
                        text(
                            "INSERT INTO leads (source, stage, lost_reason) VALUES ('manual', 'lost', :r) RETURNING id"
                        ),
                        {"r": reason},
                    )
                ).scalar()
                await conn.execute(
                    text(
                        "INSERT INTO stage_changes (lead_id, from_stage, to_stage, actor, reason) "
                        "VALUES (:id, 'new', 'lost', 'tg:1', :r)"
                    ),
                    {"id": lead_id, "r": reason},
                )
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            leads = (await conn.execute(text("SELECT lost_reason_code, lost_reason FROM leads ORDER BY id"))).all()
            changes = (await conn.execute(text("SELECT reason_code, reason FROM stage_changes ORDER BY id"))).all()
        expected = [("no_budget", None), ("no_budget", None), ("competitor", None), (None, "ушёл к другу")]
        assert [tuple(r) for r in leads] == expected
        assert [tuple(r) for r in changes] == expected
        await asyncio.to_thread(downgrade, url, "0001")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT lost_reason FROM leads ORDER BY id"))).scalars().all()
        assert back == ["No budget", "No budget", "Chose a competitor", "ушёл к другу"]
        await engine.dispose()
    finally:
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_contacts_are_backfilled_from_the_primary_contact_in_their_normal_form(database_url: str) -> None:
    """Migration 0006: each lead's ``contact`` becomes a lead_contacts row (E.164, lower-cased), as typed too."""
    name = f"leadcrm_mig_{uuid.uuid4().hex[:8]}"
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url, "0005")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for contact in ("+7 999 123-45-67", "Ann@Example.com", "@Ann_Lee", None):
                await conn.execute(
                    text("INSERT INTO leads (source, stage, contact) VALUES ('manual', 'new', :c)"), {"c": contact}
                )
        await asyncio.to_thread(upgrade, url, "0006")
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT kind, value, normal FROM lead_contacts ORDER BY lead_id"))).all()
        assert [tuple(r) for r in rows] == [
            ("phone", "+7 999 123-45-67", "+79991234567"),
            ("email", "Ann@Example.com", "ann@example.com"),
            ("telegram", "@Ann_Lee", "ann_lee"),
        ]
        await engine.dispose()
    finally:
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _statistics_targets(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT attrelid::regclass::text || '.' || attname, coalesce(attstattarget, -1) FROM pg_attribute "
                "WHERE (attrelid, attname) IN (('leads'::regclass, 'name'), ('leads'::regclass, 'company'), "
                "('lead_contacts'::regclass, 'normal'))"
            )
        )
        targets = {column: int(target) for column, target in rows}
    await engine.dispose()
    return targets


async def test_the_search_columns_get_finer_statistics_and_lose_them_on_downgrade(database_url: str) -> None:
    """Migration 0012: the planner's estimates for the search's ILIKE branches (leads.name, leads.company,
    lead_contacts.normal) come from 1,000 buckets; downgraded, the server's default again."""
    name = f"leadcrm_mig_{uuid.uuid4().hex[:8]}"
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    columns = {"leads.name", "leads.company", "lead_contacts.normal"}
    try:
        await asyncio.to_thread(upgrade, url, "0012")
        assert await _statistics_targets(url) == dict.fromkeys(columns, 1000)
        await asyncio.to_thread(downgrade, url, "0010")
        assert await _statistics_targets(url) == dict.fromkeys(columns, -1)
        await asyncio.to_thread(upgrade, url)
        assert await _statistics_targets(url) == dict.fromkeys(columns, 1000)
    finally:
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_leads_imported_before_the_importer_wrote_contacts_get_their_contact_rows(database_url: str) -> None:
    """Migration 0013: a lead with a ``contact`` and no lead_contacts row gets one; one that has rows is left."""
    name = f"leadcrm_mig_{uuid.uuid4().hex[:8]}"
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url, "0010")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for ext, contact in (("imp-1", "8 999 123-45-67"), ("imp-2", "Ann@Example.com"), ("imp-3", None)):
                await conn.execute(
                    text("INSERT INTO leads (source, stage, contact, external_id) VALUES ('manual', 'new', :c, :e)"),
                    {"c": contact, "e": ext},
                )
            typed = (
                await conn.execute(
                    text("INSERT INTO leads (source, stage, contact) VALUES ('manual', 'new', '+7 900') RETURNING id")
                )
            ).scalar()
            await conn.execute(
                text(
                    "INSERT INTO lead_contacts (lead_id, kind, value, normal) VALUES (:id, 'email', 'b@c.io', 'b@c.io')"
                ),
                {"id": typed},
            )
        await asyncio.to_thread(upgrade, url, "0013")
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT kind, value, normal FROM lead_contacts ORDER BY lead_id"))).all()
        assert [tuple(r) for r in rows] == [
            ("phone", "8 999 123-45-67", "+79991234567"),
            ("email", "Ann@Example.com", "ann@example.com"),
            ("email", "b@c.io", "b@c.io"),
        ]
        await engine.dispose()
    finally:
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
