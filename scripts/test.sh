#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, then runs vitest against the
# machine's PostgreSQL and a real Temporal dev server (both started/created by tests/global-setup.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-node-deps.sh
bash scripts/install-temporal.sh >/dev/null
bash scripts/ensure-chromium.sh
npx tsc --noEmit -p .
npx tsc --noEmit -p web
npx eslint .
npx prettier --check . >/dev/null || { echo "prettier: run npm run format" >&2; exit 1; }
exec npx vitest run "$@"
