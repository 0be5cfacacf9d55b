"""Train -> store -> activate -> score, on generated history with a known signal (real PostgreSQL)."""

import csv
import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

from bot import render
from bot.i18n import make_i18n
from cli import reports
from core.scoring.features import features
from core.scoring.learned import LearnedScorer
from core.scoring.provider import LearnedOrRules
from core.scoring.rules_v1 import RulesV1Scorer
from core.services import leads as lead_svc
from core.services import sales as sale_svc
from core.services import training as svc
from core.services.context import Services
from core.services.importer import import_csv
from core.storage.models import LeadRow, ModelVersionRow, StageChangeRow

DOMAINS = frozenset({"fintech", "ecommerce", "edtech", "saas"})


def en(report: svc.TrainReport) -> str:
    """The report as ``leadcrm train`` prints it."""
    return "\n".join(reports.train_lines(report))


def ru(report: svc.TrainReport) -> str:
    """The report as the bot sends it to a Russian-speaking admin."""
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        return render.train_report(report)


def ru_info(info: svc.ModelInfo) -> str:
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        return render.model_info(info)


MAPPING = """
[lead]
external_id = "id"
created_at = "created"
last_activity_at = "last_touch"
closed_at = "closed"

[source]
column = "channel"
values = { "partner" = "partner", "scanner" = "scanner", "manual" = "manual" }

[business_domain]
column = "domain"
values = { "fintech" = "fintech", "saas" = "saas" }

[[attributes]]
column = "city"

[activity_counts]
meeting = "meetings"
call = "calls"

[outcome]
column = "result"
won = ["won"]
lost = ["lost"]
"""


def _history(path: Path, n: int, seed: int = 3, prefix: str = "h") -> Path:
    """Partner leads with many meetings mostly win; the rest mostly lose."""
    rng = random.Random(seed)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["id", "channel", "domain", "city", "meetings", "calls", "created", "last_touch", "closed", "result"]
        )
        for i in range(n):
            channel = rng.choice(["partner", "scanner", "manual"])
            meetings = rng.randint(0, 6)
            p = 0.1 + (0.35 if channel == "partner" else 0.0) + 0.08 * meetings
            won = rng.random() < min(p, 0.95)
            day = rng.randint(1, 28)
            w.writerow(
                [
                    f"{prefix}{i}",
                    channel,
                    rng.choice(["fintech", "saas", ""]),
                    rng.choice(["Kazan", "Omsk"]),
                    meetings,
                    rng.randint(0, 4),
                    f"2025-03-{day:02d}T10:00:00",
                    f"2025-04-{day:02d}T10:00:00",
                    f"2025-04-{day:02d}T18:00:00",
                    "won" if won else "lost",
                ]
            )
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    p = tmp_path / "h.toml"
    p.write_text(MAPPING)
    return p


@pytest.fixture
def learned_services(policy) -> Services:
    return Services(policy=policy, scorers=LearnedOrRules())


async def _open_lead(uow, services, system, *, source: str, meetings: int):
    lead = await lead_svc.create_lead(
        uow, services, system, source=source, business_domain="fintech", attributes={"city": "Kazan"}
    )
    for _ in range(meetings):
        await lead_svc.log_activity(uow, services, system, lead.id, kind="meeting")
    return lead


async def test_train_activates_a_model_that_beats_rules_and_the_product_scores_with_it(
    uow, tmp_path, mapping, learned_services, system
) -> None:
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    report = await svc.train_model(uow, min_closed=200, min_per_class=20)
    assert report.status == "activated", en(report)
    assert report.compared_with == "rules-v1" and report.auc > report.compared_auc
    assert 0.0 < report.brier < 0.25 and set(report.candidates) == {"logreg", "hgb"}
    assert report.n_won + report.n_lost == 300
    assert f"Модель {report.version} включена" in ru(report)
    assert reports.train_lines(report)[0] == reports.train_head(report) and ru(report).startswith("<b>Модель")
    assert any(line.startswith("candidate hgb: CV ROC AUC") for line in reports.train_lines(report))

    info = await svc.active_model_info(uow)
    assert info.is_learned and info.version == report.version and info.n_won == report.n_won
    assert "source" in info.features and "act:meeting" in info.features
    assert info.metrics["candidates"].keys() == {"logreg", "hgb"}
    assert reports.model_lines(info)[0].startswith(f"active scorer: {report.version}")
    assert ru_info(info).startswith(f"<b>активная модель: {report.version}")
    assert any(line.startswith("candidate logreg: CV ROC AUC") for line in reports.model_lines(info))

    strong = await _open_lead(uow, learned_services, system, source="partner", meetings=6)
    weak = await _open_lead(uow, learned_services, system, source="scanner", meetings=0)
    strong = await lead_svc.analyze(uow, learned_services, system, strong.id)
    weak = await lead_svc.analyze(uow, learned_services, system, weak.id)
    assert strong.scorer_version == weak.scorer_version == report.version
    assert strong.ai_score > weak.ai_score + 0.3
    assert "meetings (+)" in strong.ai_reason and "встреч: 6 (+)" in strong.ai_reason_ru
    assert "meetings (−)" in weak.ai_reason


async def test_retraining_on_the_same_history_does_not_replace_the_active_model(uow, tmp_path, mapping) -> None:
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    first = await svc.train_model(uow)
    second = await svc.train_model(uow)
    assert first.activated
    assert second.status == "not_activated" and second.compared_with == first.version
    assert second.auc <= second.compared_auc
    assert f"{first.version} stays active" in en(second)
    assert (await svc.active_model_info(uow)).version == first.version
    async with uow:
        rows = (await uow.session.execute(select(ModelVersionRow.version, ModelVersionRow.is_active))).all()
    assert sorted(rows) == sorted([(first.version, True), (second.version, False)])


async def test_below_the_threshold_scoring_stays_on_rules_and_the_report_says_why(
    uow, tmp_path, mapping, learned_services, system
) -> None:
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 60), mapping)
    report = await svc.train_model(uow, min_closed=200, min_per_class=20)
    assert report.status == "not_enough_data" and report.version is None
    assert "60 closed leads" in en(report) and "need at least 200" in en(report)
    assert "rules-v1" in en(report) and "Мало истории для обучения: закрытых лидов 60" in ru(report)
    async with uow:
        assert (await uow.session.execute(select(func.count()).select_from(ModelVersionRow))).scalar_one() == 0
    assert not (await svc.active_model_info(uow)).is_learned
    lead = await _open_lead(uow, learned_services, system, source="partner", meetings=2)
    assert (await lead_svc.analyze(uow, learned_services, system, lead.id)).scorer_version == "rules-v1"


async def test_each_outcome_needs_its_own_minimum(uow, tmp_path, mapping) -> None:
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 250), mapping)
    report = await svc.train_model(uow, min_closed=200, min_per_class=200)
    assert report.status == "not_enough_data" and "200 of each outcome" in en(report)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _deactivate_elsewhere(uow) -> None:
    """What ``leadcrm train`` in another process amounts to for this one: model_versions changes under it."""
    async with uow:
        await uow.session.execute(update(ModelVersionRow).values(is_active=False))
        await uow.commit()


async def test_the_provider_caches_the_active_model_until_another_is_activated(uow, tmp_path, mapping) -> None:
    clock = FakeClock()
    provider = LearnedOrRules(ttl_seconds=10, clock=clock)
    assert isinstance(await provider.current(uow), RulesV1Scorer)
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    first = await svc.train_model(uow)
    scorer = await provider.current(uow)  # an activation in this process is seen at once, TTL or not
    assert isinstance(scorer, LearnedScorer) and scorer.version == first.version
    assert await provider.current(uow) is scorer
    await _deactivate_elsewhere(uow)
    clock.now += 9.9
    assert await provider.current(uow) is scorer  # within the TTL the active version is not re-read
    clock.now += 0.2
    assert isinstance(await provider.current(uow), RulesV1Scorer)


async def test_the_provider_reads_the_active_version_without_a_query_within_the_ttl(
    uow, tmp_path, mapping, engine
) -> None:
    clock = FakeClock()
    provider = LearnedOrRules(ttl_seconds=10, clock=clock)
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    report = await svc.train_model(uow)
    assert (await provider.current(uow)).version == report.version
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        clock.now += 9.9
        assert (await provider.current(uow)).version == report.version
        assert not [s for s in statements if "model_versions" in s]
        clock.now += 0.2
        assert (await provider.current(uow)).version == report.version
        assert len([s for s in statements if "model_versions" in s]) == 1  # the TTL ran out: asked again
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_zero_ttl_provider_sees_a_change_made_elsewhere_at_once(uow, tmp_path, mapping) -> None:
    provider = LearnedOrRules(ttl_seconds=0)
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    first = await svc.train_model(uow)
    assert (await provider.current(uow)).version == first.version
    await _deactivate_elsewhere(uow)
    assert isinstance(await provider.current(uow), RulesV1Scorer)


async def test_rescore_scores_every_open_lead_with_the_active_model(
    uow, tmp_path, mapping, learned_services, system
) -> None:
    await import_csv(uow, DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    report = await svc.train_model(uow)
    created = [await _open_lead(uow, learned_services, system, source="partner", meetings=i % 4) for i in range(7)]
    leads = [await lead_svc.get_lead(uow, system, lead.id) for lead in created]
    result = await svc.rescore_open_leads(uow, learned_services, batch_size=3)
    assert (result.leads, result.batches, result.version) == (7, 3, report.version)
    for lead in leads:
        again = await lead_svc.get_lead(uow, system, lead.id)
        assert again.scorer_version == report.version and 0 <= again.ai_score <= 1 and again.ai_reason
        assert again.version == lead.version  # a fresh score is not an edit
    async with uow:
        closed_scored = (
            await uow.session.execute(
                select(func.count())
                .select_from(LeadRow)
                .where(LeadRow.stage.in_(["lost", "transferred"]), LeadRow.ai_score.is_not(None))
            )
        ).scalar_one()
    assert closed_scored == 0


async def test_training_sees_closed_leads_as_they_were_when_they_closed(uow, services, system) -> None:
    """Won through the real funnel: the sale is paid; features stop at the payment, the stage is dropped."""
    lead = await _open_lead(uow, services, system, source="partner", meetings=3)
    await lead_svc.change_stage(uow, services, system, lead.id, "contacted")
    await lead_svc.change_stage(uow, services, system, lead.id, "qualified")
    await lead_svc.analyze(uow, services, system, lead.id)
    sale = (await lead_svc.change_stage(uow, services, system, lead.id, "transferred")).sale
    for step in ("kyc", "agreement", "paid"):
        sale = await sale_svc.change_sale_stage(uow, system, sale.id, step)
    lost = await _open_lead(uow, services, system, source="manual", meetings=1)
    await lead_svc.change_stage(uow, services, system, lost.id, "lost", reason="no budget")
    in_progress = await _open_lead(uow, services, system, source="partner", meetings=2)
    await lead_svc.change_stage(uow, services, system, in_progress.id, "contacted")
    # pretend the last touch was 9 days before the payment, and the lead was lost 5 days after its touch
    async with uow:
        await uow.session.execute(
            update(LeadRow).where(LeadRow.id == lead.id).values(last_activity_at=sale.closed_at - timedelta(days=9))
        )
        await uow.session.execute(
            update(StageChangeRow)
            .where(StageChangeRow.lead_id == lost.id, StageChangeRow.to_stage == "lost")
            .values(created_at=func.now() + timedelta(days=5))
        )
        await uow.commit()

    data = await svc.load_training_set(uow)
    by_source = {i.source: (i, int(label)) for i, label in zip(data.inputs, data.y, strict=True)}
    assert len(data.inputs) == 2  # the open lead is not an example
    won_input, won_label = by_source["partner"]
    assert won_label == 1 and won_input.now == sale.closed_at
    won_features = features(won_input)
    assert won_features["stage"] is None
    assert won_features["days_since_last_touch"] == pytest.approx(9.0)
    assert won_features["act:meeting"] == 3.0
    lost_input, lost_label = by_source["manual"]
    assert lost_label == 0 and features(lost_input)["days_since_last_touch"] == pytest.approx(5.0, abs=0.01)


def test_leadcrm_train_model_and_rescore_print_plain_reports(database_url, monkeypatch, capsys) -> None:
    from cli.main import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRAIN_MIN_CLOSED", "50")
    assert main(["model"]) == 0
    assert "active scorer: rules-v1" in capsys.readouterr().out
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert "Not enough history to train: 0 closed leads" in out and "need at least 50" in out
    assert main(["rescore"]) == 0
    assert "with rules-v1" in capsys.readouterr().out
