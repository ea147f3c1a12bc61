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

# apt_install WHY PACKAGE...: install Debian packages (no recommends: no node exporter with prometheus)
# when we are root, else say how and stop.
# Another apt (unattended upgrades, a second bootstrap) may hold the dpkg lock: wait for it, bounded.
APT_LOCK_TIMEOUT_S=${APT_LOCK_TIMEOUT_S:-300}
apt_install() {
  local why=$1
  shift
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: $* missing ($why); install with: sudo apt-get install --no-install-recommends $*" >&2
    exit 1
  fi
  echo "==> installing $* (Debian packages)"
  local apt=(apt-get -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_S" -qq)
  "${apt[@]}" update && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
}

need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
((${#need_apt[@]} == 0)) || apt_install "the broker runs on Java; Maven resolves its jars" "${need_apt[@]}"

if [[ ${1:-} == --test ]]; then
  # Prometheus: the server and promtool.
  # (On a host run by systemd the package also enables a system Prometheus service; the tests use their own.)
  { command -v prometheus >/dev/null && command -v promtool >/dev/null; } ||
    apt_install "the tests run a real Prometheus against the worker" prometheus
  # Node.js: the tests validate schemas/asyncapi.yaml with the AsyncAPI parser (npm, pinned below).
  { command -v node >/dev/null && command -v npm >/dev/null; } ||
    apt_install "the tests run the AsyncAPI parser" nodejs npm
  # Chromium: tests/runtime/test_live_page.py loads the live page in a real headless browser (CDP).
  command -v chromium >/dev/null ||
    apt_install "the live page's tests run it headless" chromium

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
