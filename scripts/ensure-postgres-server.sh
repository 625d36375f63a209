#!/usr/bin/env bash
# PostgreSQL's server binaries (initdb, pg_ctl, postgres) for the benches that run a private cluster
# (scripts/private-postgres.ts). Installed with apt-get only when missing; no cluster is created by the
# package (create_main_cluster = false), so nothing starts on the machine's port 5432.
set -euo pipefail
if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || [ -n "${PG_BIN:-}" ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo 'PostgreSQL server binaries are missing and apt-get is not available: install them, or set PG_BIN' >&2
  exit 1
fi
sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi
$sudo mkdir -p /etc/postgresql-common
echo 'create_main_cluster = false' | $sudo tee -a /etc/postgresql-common/createcluster.conf >/dev/null
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
