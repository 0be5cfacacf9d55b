"""Benchmark of the learned scorer on the public X Education dataset, through the product's own code.

    .venv/bin/python bench/scoring.py [--csv PATH] [--folds 5] [--seed 42]

1. Creates a temporary database on DATABASE_URL's server (else 127.0.0.1:5432), migrates it.
2. Imports Leads.csv with ``mappings/xeducation.toml`` via ``core.services.importer.import_csv``.
3. Loads the closed leads exactly as ``leadcrm train`` does (``load_training_set``) and runs a
   stratified, shuffled K-fold CV (seed 42) of the product's trainer (``fit_candidates``: each
   candidate cross-validated and calibrated inside the training folds, the best chosen by CV AUC).
   Prints ROC AUC and Brier of rules-v1, each candidate and the chosen model on the test folds, and how
   truthful the reasons are: the share of test leads whose named factors' contributions add up to the
   sign of (score - the training base rate).
4. Re-imports the same file with ``mappings/xeducation_last_activity.toml`` (adds the two
   Last Activity columns; the re-import updates the 9,240 leads in place) and repeats.
5. Drops the temporary database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.reports import import_summary  # noqa: E402
from core.config import Settings  # noqa: E402
from core.scoring.features import features  # noqa: E402
from core.scoring.learned import CANDIDATES, LearnedModel, fit_candidates  # noqa: E402
from core.services.importer import import_csv  # noqa: E402
from core.services.training import load_training_set, rules_probabilities  # noqa: E402
from core.storage.db import make_engine, make_session_factory  # noqa: E402
from core.storage.migrate import upgrade_async  # noqa: E402
from core.storage.uow import SqlUnitOfWork  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "xeducation" / "Leads.csv"
VARIANTS = (
    ("without Last Activity", ROOT / "mappings" / "xeducation.toml"),
    ("with Last Activity", ROOT / "mappings" / "xeducation_last_activity.toml"),
)


def server_url() -> str:
    url = Settings().database_url
    return url or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def admin(server: str, sql: str) -> None:
    engine = create_async_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def named_sign_agreement(spec, fit, rows: list) -> int:
    """How many leads' named factors add up to the sign of (score - base rate): the reason does not point
    the other way from where the score sits against an average lead."""
    model = LearnedModel(spec=spec, model=fit.model, algorithm=fit.name, base_rate=fit.base_rate)
    probs, factors = model.explain_rows(rows)
    named = np.asarray([sum(f.delta for f in fs) for fs in factors])
    return int(np.sum(np.sign(named) == np.sign(probs - fit.base_rate)))


def cross_validate(inputs: list, y: np.ndarray, folds: int, seed: int) -> dict[str, dict[str, float]]:
    rows = [features(i) for i in inputs]
    names = ["rules-v1", *CANDIDATES, "chosen"]
    pooled = {n: np.zeros(len(y)) for n in names}
    per_fold: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    chosen_names = []
    agree = {n: 0 for n in names}
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(cv.split(np.zeros(len(y)), y), 1):
        started = time.perf_counter()
        outcome = fit_candidates([rows[i] for i in tr], y[tr], seed=seed)
        frame = outcome.spec.frame([rows[i] for i in te])
        preds = {"rules-v1": rules_probabilities([inputs[i] for i in te])}
        test_rows = [rows[i] for i in te]
        fold_agree = {}
        for name, fit in outcome.candidates.items():
            preds[name] = fit.model.predict(frame)
            fold_agree[name] = named_sign_agreement(outcome.spec, fit, test_rows)
            agree[name] += fold_agree[name]
        preds["chosen"] = preds[outcome.chosen]
        agree["chosen"] += fold_agree[outcome.chosen]
        chosen_names.append(outcome.chosen)
        for name, p in preds.items():
            pooled[name][te] = p
            per_fold[name].append((roc_auc_score(y[te], p), brier_score_loss(y[te], p)))
        print(f"  fold {k}: chosen {outcome.chosen} ({time.perf_counter() - started:.1f} s)", flush=True)
    out = {}
    for name in names:
        aucs, briers = zip(*per_fold[name], strict=True)
        out[name] = {
            "auc": roc_auc_score(y, pooled[name]),
            "brier": brier_score_loss(y, pooled[name]),
            "auc_mean": float(np.mean(aucs)),
            "auc_sd": float(np.std(aucs)),
            "brier_mean": float(np.mean(briers)),
            "named_sign": agree[name] / len(y),
        }
    out["chosen"]["picked"] = ", ".join(chosen_names)
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    server = server_url()
    name = f"leadcrm_bench_{uuid.uuid4().hex[:8]}"
    await admin(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=2)
    try:
        await upgrade_async(url)
        uow = SqlUnitOfWork(make_session_factory(engine))
        domains = Settings().domain_set
        table = []
        for label, mapping in VARIANTS:
            report = await import_csv(uow, domains, args.csv, mapping)
            print(f"import ({label}): {import_summary(report)}", flush=True)
            data = await load_training_set(uow)
            print(
                f"closed leads: {data.n_won} won, {data.n_lost} lost; {args.folds}-fold CV, seed {args.seed}",
                flush=True,
            )
            table.append((label, cross_validate(data.inputs, data.y, args.folds, args.seed)))
    finally:
        await engine.dispose()
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print()
    print(
        "| features | scorer | ROC AUC (pooled) | Brier (pooled) | AUC per fold (mean ± sd) | Brier per fold "
        "| reasons agree with the score |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, results in table:
        for scorer, m in results.items():
            shown = f"chosen ({m['picked']})" if scorer == "chosen" else scorer
            sign = "" if scorer == "rules-v1" else f"{100 * m['named_sign']:.1f}%"
            print(
                f"| {label} | {shown} | {m['auc']:.3f} | {m['brier']:.3f} | "
                f"{m['auc_mean']:.3f} ± {m['auc_sd']:.3f} | {m['brier_mean']:.3f} | {sign} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
