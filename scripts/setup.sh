#!/usr/bin/env bash
# Set up MESA Studio in ./.venv. With --dev, also what the tests need: test packages and the
# Debian packages listed in .ci/apt-packages.txt (Chromium for the browser test, OpenGL for
# off-screen 3D previews). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
else
  .venv/bin/python -m pip install --quiet -r requirements.txt
fi
# The package itself, editable (pyproject.toml): the `mesa-studio` command, imports from anywhere.
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .

if [ "$dev" = 1 ] && [ -s .ci/apt-packages.txt ]; then
  mapfile -t packages < <(grep -v '^\s*#' .ci/apt-packages.txt | sed '/^\s*$/d' | sort -u)
  missing=()
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
echo "MESA Studio is set up in .venv"
