#!/usr/bin/env bash
# Fuzzes the running API against its own /openapi.json with Schemathesis (--checks all), bounded in
# time. Installs Schemathesis into the git-ignored .tools/schemathesis-venv when missing, then
# scripts/fuzz-api.ts starts a private stack (fresh database, Temporal dev server, worker, API on a
# free port), runs it, tears everything down and exits with Schemathesis' status.
# Not part of `npm test`. Extra arguments go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCHEMATHESIS_VERSION="4.32.5"
VENV="${SCHEMATHESIS_VENV:-.tools/schemathesis-venv}"
bash scripts/ensure-node-deps.sh
bash scripts/install-temporal.sh >/dev/null
if [ ! -x "${VENV}/bin/schemathesis" ] || ! "${VENV}/bin/schemathesis" --version | grep -q "${SCHEMATHESIS_VERSION}"; then
  echo "[fuzz-api] installing schemathesis ${SCHEMATHESIS_VERSION} into ${VENV}" >&2
  "${PYTHON:-python3}" -m venv "${VENV}"
  "${VENV}/bin/pip" install --quiet "schemathesis==${SCHEMATHESIS_VERSION}"
fi
# An absolute SCHEMATHESIS_VENV stays as given; a relative one is under the checkout.
case "${VENV}" in /*) ;; *) VENV="$(pwd)/${VENV}" ;; esac
SCHEMATHESIS="${VENV}/bin/schemathesis" exec npx tsx scripts/fuzz-api.ts "$@"
