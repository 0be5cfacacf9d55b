"""The API process starts without the training stack: scikit-learn, pandas, scipy, numpy and joblib are imported
only when a learned model is loaded (core.scoring.provider). Each imported module's objects are scanned by every
full garbage collection, so this is the API's start-up time and its p99 (issue: 110–220 ms collections)."""

from __future__ import annotations

import subprocess
import sys

TRAINING_STACK = ("sklearn", "pandas", "scipy", "numpy", "joblib", "matplotlib")
PROBE = """
import sys
from api.app import create_app
from core.config import Settings
create_app(Settings(_env_file=None))
print(len(sys.modules))
print(" ".join(m for m in {stack!r} if m in sys.modules))
"""


def test_building_the_api_imports_no_training_stack() -> None:
    probe = PROBE.format(stack=TRAINING_STACK)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    modules, loaded = [*out.stdout.splitlines(), ""][:2]
    assert loaded == "", f"the API imported {loaded}"
    # ~1,150 of them are aiogram's, which the pipeline board needs (its initData check is aiogram's
    # safe_parse_webapp_init_data, its texts the bot's catalogue); serve() freezes them (freeze_startup_objects),
    # so full collections do not scan them.
    assert int(modules) < 2000, f"{modules} modules at start-up"
