#!/usr/bin/env bash
# The README's run command: starts a local ZooKeeper (unless ZkSync__ConnectionString is set) and runs the sample web
# app on http://127.0.0.1:5080; stops the ZooKeeper it started when the app exits.
#
# Usage: bash eng/run-sample.sh [extra dotnet run arguments]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
ZK="$REPO_ROOT/eng/zookeeper.sh"
export ZK_STATE_DIR="$REPO_ROOT/.zk/sample"
STARTED=0

cleanup() {
  local status=$?
  if [[ $STARTED -eq 1 ]]; then
    bash "$ZK" down >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null 2>&1 || { echo "run-sample.sh: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }
if [[ -z "${ZkSync__ConnectionString:-}" ]]; then
  bash "$ZK" install
  STARTED=1
  ZkSync__ConnectionString="$(bash "$ZK" up 1 | tail -n 1)"
  export ZkSync__ConnectionString
fi

echo "run-sample.sh: ZooKeeper at $ZkSync__ConnectionString; the app listens on http://127.0.0.1:5080" >&2
dotnet run --project samples/WebApp -c Release -- --urls http://127.0.0.1:5080 "$@"
