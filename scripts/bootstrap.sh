# Sourced by the scripts below: make sure a virtualenv with requirements.txt and this checkout
# (editable: `components` importable from any project directory) exists.
# VENV picks its location (default .venv, the one Pulumi.yaml names for `pulumi up`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want=$(cat requirements.txt requirements.lock pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if [ "${CI:-}" = "true" ]; then
    # CI (GitHub Actions sets CI=true, and so does .ci/run's caller): every package from the
    # lock, each checked against its hash, before any job step can mint an OIDC token. The
    # venv's own pip installs: pip itself is not upgraded from an unhashed download.
    "$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r requirements.lock
  else
    # Developers: the same pins (requirements.txt); `--require-hashes -r requirements.lock`
    # gives the CI install (README, "Tests").
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r requirements.txt
  fi
  # The components as a package, editable, from this checkout (setuptools of the venv).
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
PY="$VENV/bin/python"
