#!/usr/bin/env bash
# Installs node_modules from the lockfile when they are missing or older than the lockfile.
# `npm install` rather than `npm ci`: this registry setup records only the platform packages it
# could resolve (e.g. @swc/core-*), which `npm ci` rejects as an out-of-sync lockfile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing node dependencies" >&2
  npm install --no-audit --no-fund >&2
fi
