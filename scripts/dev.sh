#!/usr/bin/env bash
# Brings the whole stack up: Temporal dev server (UI on :8233), database + migrations, worker, API.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-node-deps.sh
bash scripts/install-temporal.sh >/dev/null
exec node --import tsx scripts/dev.ts
