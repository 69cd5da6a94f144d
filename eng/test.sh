#!/usr/bin/env bash
# The README's test command: installs what the suite needs, starts a 3-member ZooKeeper ensemble (plus a TLS server)
# on loopback, runs every test project against it and always stops and removes what it started, pass or fail.
#
# Usage: bash eng/test.sh [extra dotnet test arguments]
# Environment:
#   ZKSYNC_TEST_CONNECTION  run against this ensemble instead (nothing is started)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
ZK="$REPO_ROOT/eng/zookeeper.sh"
RESULTS_DIR="$REPO_ROOT/artifacts/test-results"
STARTED=()

log() { printf 'test.sh: %s\n' "$*" >&2; }

cleanup() {
  local status=$?
  local state
  for state in "${STARTED[@]}"; do
    ZK_STATE_DIR="$state" bash "$ZK" down >/dev/null 2>&1 || log "warning: could not stop the ZooKeeper in $state"
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null 2>&1 || { log "error: the .NET SDK (dotnet) is not on PATH"; exit 1; }
bash "$ZK" install
bash "$ZK" install-peers

if [[ -z "${ZKSYNC_TEST_CONNECTION:-}" ]]; then
  export ZK_STATE_DIR="$REPO_ROOT/.zk/test-ensemble"
  STARTED+=("$ZK_STATE_DIR")
  ZKSYNC_TEST_CONNECTION="$(bash "$ZK" up 3 | tail -n 1)"
  export ZKSYNC_TEST_CONNECTION
  # A separate TLS-enabled server for the TLS tests.
  if TLS_OUT="$(ZK_STATE_DIR="$REPO_ROOT/.zk/test-tls" ZK_BASE_PORT=42680 bash "$ZK" up-tls 2>/dev/null)"; then
    STARTED+=("$REPO_ROOT/.zk/test-tls")
    eval "$(printf '%s\n' "$TLS_OUT" | grep '^export ZKSYNC_TEST_TLS_')"
  else
    log "warning: no TLS server could be started; the TLS tests will be skipped"
  fi
  unset ZK_STATE_DIR
else
  log "using the ensemble in ZKSYNC_TEST_CONNECTION=$ZKSYNC_TEST_CONNECTION"
fi

log "ZooKeeper: $ZKSYNC_TEST_CONNECTION"
rm -rf "$RESULTS_DIR"
set +e
dotnet test ZkSync.AspNetCore.sln -c Release --logger "trx" --results-directory "$RESULTS_DIR" "$@"
TEST_STATUS=$?
set -e

# One summary line over every test project, from the TRX files.
SUMMARY="$(python3 - "$RESULTS_DIR" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} {failed} {skipped}")
PY
)"
read -r PASSED FAILED SKIPPED <<<"$SUMMARY"
echo "Tests: $PASSED passed, $FAILED failed, $SKIPPED skipped"
if [[ $TEST_STATUS -ne 0 || $FAILED -ne 0 ]]; then
  exit 1
fi
if [[ $PASSED -eq 0 ]]; then
  log "error: no test ran"
  exit 1
fi
