#!/usr/bin/env bash
# The browser tests drive Debian's chromium (never a downloaded browser): installed here when missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "[setup] installing chromium (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium >&2
fi
