"""Are the reasons truthful? On the X Education hold-out, through the product's own import and trainer.

    .venv/bin/python bench/reasons.py [--csv PATH] [--mapping mappings/xeducation.toml] [--seed 42]

Imports the file into a temporary database (as bench/scoring.py does), loads the closed leads like
``leadcrm train``, holds out 20 % as training does before activating (``recent_split``: the most recently
closed; X Education has no dates, so a stratified random 20 %), trains on the rest
(``fit_candidates``) and explains every held-out lead with each candidate. Prints, per candidate, the share of
held-out leads whose *named* factors' contributions add up to the sign of (score - training base rate) —
the issue's bar is 95 % — and the share whose full SHAP sum has that sign, and the time to explain them.
Last line machine-readable: ``named_sign_agree=… full_sign_agree=…`` (of the chosen candidate).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scoring import DEFAULT_CSV, admin, server_url  # noqa: E402
from core.config import Settings  # noqa: E402
from core.scoring.features import features  # noqa: E402
from core.scoring.learned import LearnedModel, fit_candidates  # noqa: E402
from core.services.importer import import_csv  # noqa: E402
from core.services.training import TrainingSet, load_training_set, recent_split  # noqa: E402
from core.storage.db import make_engine, make_session_factory  # noqa: E402
from core.storage.migrate import upgrade_async  # noqa: E402
from core.storage.uow import SqlUnitOfWork  # noqa: E402


async def load(csv: Path, mapping: Path) -> TrainingSet:
    server = server_url()
    name = f"leadcrm_bench_{uuid.uuid4().hex[:8]}"
    await admin(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=2)
    try:
        await upgrade_async(url)
        uow = SqlUnitOfWork(make_session_factory(engine))
        await import_csv(uow, Settings().domain_set, csv, mapping)
        return await load_training_set(uow)
    finally:
        await engine.dispose()
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--mapping", type=Path, default=ROOT / "mappings" / "xeducation.toml")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    data = asyncio.run(load(args.csv, args.mapping))
    rows = [features(i) for i in data.inputs]
    tr, ho = recent_split(data, args.seed)
    outcome = fit_candidates([rows[i] for i in tr], data.y[tr], seed=args.seed)
    held_out = [rows[i] for i in ho]
    print(f"{len(tr)} training leads, {len(ho)} held out; chosen {outcome.chosen}")
    result = {}
    for name, fit in outcome.candidates.items():
        model = LearnedModel(spec=outcome.spec, model=fit.model, algorithm=name, base_rate=fit.base_rate)
        started = time.perf_counter()
        probs, factors = model.explain_rows(held_out)
        seconds = time.perf_counter() - started
        full = model.contributions_rows(held_out).sum(axis=1)
        side = np.sign(probs - fit.base_rate)
        named_sum = np.asarray([sum(f.delta for f in fs) for fs in factors])
        result[name] = (float(np.mean(np.sign(named_sum) == side)), float(np.mean(np.sign(full) == side)))
        n_named = np.mean([len(fs) for fs in factors])
        print(
            f"{name}: named factors agree with (score - base rate {fit.base_rate:.3f}) for "
            f"{100 * result[name][0]:.1f}% of held-out leads, the full SHAP sum for {100 * result[name][1]:.1f}%; "
            f"{n_named:.1f} factors named on average; explained {len(ho)} leads in {seconds:.1f} s"
        )
    named, full = result[outcome.chosen]
    print(f"named_sign_agree={named:.4f} full_sign_agree={full:.4f} chosen={outcome.chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
