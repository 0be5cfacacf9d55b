# Sourced by scripts/run and scripts/test: make ./.venv with the project installed from requirements.lock.
# Needs only Python 3.11, 3.12 or 3.13 on the machine (PYTHON=/path/to/python picks one); the rest comes
# from PyPI. One install serves both scripts (runtime + test + embedded extras): switching between
# ./scripts/test and ./scripts/run installs nothing. pip's output goes to var/log/bootstrap.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
LOG="$ROOT/var/log/bootstrap.log"
mkdir -p "$(dirname "$LOG")"

# Prints "3.12.1 /root/.pyenv/versions/3.12.1" (version and base prefix) for a Python 3.11-3.13, else fails.
_python_id() {
  "$1" -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 14)
print("%d.%d.%d" % sys.version_info[:3], sys.base_prefix)' 2>/dev/null
}

_bootstrap_failed() {
  echo "bootstrap failed: $1; the last lines of $LOG:" >&2
  tail -n 25 "$LOG" >&2
  exit 1
}

PY="${PYTHON:-}"
if [ -n "$PY" ]; then
  WANT_ID="$(_python_id "$PY")" || { echo "PYTHON=$PY is not Python 3.11, 3.12 or 3.13" >&2; exit 1; }
else
  WANT_ID=""
  for cand in python3.13 python3.12 python3.11 python3; do  # pyenv shims of inactive versions fail quietly
    if WANT_ID="$(_python_id "$cand")"; then PY="$cand"; break; fi
  done
fi

# Keep a .venv that runs and was made by the wanted Python (without PYTHON: by any supported one);
# recreate one that is broken or was made by another Python.
HAVE_ID=""
[ -x "$VENV/bin/python" ] && HAVE_ID="$(_python_id "$VENV/bin/python")" || HAVE_ID=""
if [ -z "$HAVE_ID" ] || { [ -n "${PYTHON:-}" ] && [ "$HAVE_ID" != "$WANT_ID" ]; }; then
  [ -n "$PY" ] || { echo "Python 3.11, 3.12 or 3.13 is required (set PYTHON=/path/to/python3.13)" >&2; exit 1; }
  rm -rf "$VENV"
  { echo "== $(date -u +%FT%TZ) $PY -m venv $VENV"; "$PY" -m venv "$VENV"; } >>"$LOG" 2>&1 \
    || _bootstrap_failed "could not create .venv with $PY"
  HAVE_ID="$WANT_ID"
fi

# What is installed is named by the lock file, pyproject.toml and the interpreter: any change reinstalls.
STAMP="$VENV/.leadcrm-installed"
WANT="$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16) $HAVE_ID"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "installing lead-ai-crm from requirements.lock into .venv (Python ${HAVE_ID%% *}; log: ${LOG#"$ROOT"/})" >&2
  rm -f "$STAMP"
  {
    echo "== $(date -u +%FT%TZ) install into $VENV (Python ${HAVE_ID%% *})"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off --require-hashes \
      -r requirements.lock \
    && "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off --no-deps -e .
  } >>"$LOG" 2>&1 || _bootstrap_failed "pip install"
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
