#!/usr/bin/env bash
# Everything the project needs on a fresh machine, idempotent: a second run only checks.
#   - a Python 3.11 virtual environment in .venv with the package, its dependencies and the spaCy model
#   - Java 17+ and Maven (Debian packages, when missing and we are root)
#   - the Apache Kafka jars, resolved from Maven Central into .newswire/
#   - with --test: Prometheus (Debian package; the tests run a real one against the worker), Node.js
#     (Debian packages) with the AsyncAPI parser (npm ci in scripts/asyncapi/), and Chromium (Debian package;
#     the live page's tests drive it headless)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "==> installing ${need_apt[*]} (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "error: ${need_apt[*]} missing; install with: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi

# Prometheus for the tests: the server and promtool. --no-install-recommends: no node exporter.
# (On a host run by systemd the package also enables a system Prometheus service; the tests use their own.)
if [[ ${1:-} == --test ]] && { ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; }; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "==> installing prometheus (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "error: prometheus missing (the tests run it); install with: sudo apt-get install --no-install-recommends prometheus" >&2
    exit 1
  fi
fi

# Node.js for the tests: they validate schemas/asyncapi.yaml with the AsyncAPI parser (npm, pinned below).
if [[ ${1:-} == --test ]] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "==> installing nodejs and npm (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    echo "error: node or npm missing (the tests run the AsyncAPI parser); install with: sudo apt-get install nodejs npm" >&2
    exit 1
  fi
fi
# Chromium for the tests: tests/runtime/test_live_page.py loads the live page in a real headless browser (CDP).
if [[ ${1:-} == --test ]] && ! command -v chromium >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "==> installing chromium (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "error: chromium missing (the live page's tests run it headless); install with: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
if [[ ${1:-} == --test ]]; then
  asyncapi=scripts/asyncapi
  if [[ ! -d $asyncapi/node_modules/@asyncapi/parser || $asyncapi/package-lock.json -nt $asyncapi/node_modules ]]; then
    echo "==> installing the AsyncAPI parser (npm ci in $asyncapi)"
    # --ignore-scripts: nothing of the parser's dependency tree needs an install script (one only reports usage).
    if ! (cd "$asyncapi" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >/dev/null; then
      echo "error: npm ci failed in $asyncapi; the npm registry must be reachable" >&2
      exit 1
    fi
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "==> installing Python dependencies (first run: a few minutes)"
  log=.venv/pip-install.log
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e '.[test]'; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "error: pip install failed (full log: $log); PyPI must be reachable" >&2
    exit 1
  fi
  touch "$stamp"
fi

echo "==> resolving the Apache Kafka jars (first run: a minute)"
.venv/bin/python -c 'from streams.tools.broker import LocalBroker; print("    ", LocalBroker().install())'
