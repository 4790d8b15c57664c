#!/usr/bin/env bash
# The one test command (README and .ci/run call exactly this). On a fresh Debian machine with
# Node 20 it installs what the tests need, then runs every test: type check, unit tests on
# recorded text, and integration tests against real redis-server 7.0 and valkey-server 8.0.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
bash scripts/provision-traffic.sh
npm ci --no-audit --no-fund
npm test
