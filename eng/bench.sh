#!/usr/bin/env bash
# Builds the benchmark report (docs/benchmarks.md): ZkSync next to the Java client, Curator and kazoo, on a 3-member
# ensemble this script starts and stops. Usage: bash eng/bench.sh [seconds per row, default 10]
#
# Environment: ZK_BASE_PORT (default 22180) and ZK_STATE_DIR (default <repo>/.zk; the ensemble lives in its bench/
# subfolder) choose the ensemble as for eng/zookeeper.sh, so checkouts can benchmark side by side. With
# ZKSYNC_TEST_CONNECTION set, that running ensemble is used instead and nothing is started or stopped.
# Runtime, unattended (start/stop of the ensemble, build, peers, lock rows in 3 rounds): about 6 minutes with the default 10 s rows.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
ZK="$REPO_ROOT/eng/zookeeper.sh"
export ZK_STATE_DIR="${ZK_STATE_DIR:-$REPO_ROOT/.zk}/bench"
bash "$ZK" install
bash "$ZK" install-peers
# The HTTP row's load generator.
if ! command -v wrk >/dev/null 2>&1; then
  sudo_if_needed=(); [[ $(id -u) -eq 0 ]] || sudo_if_needed=(sudo)
  "${sudo_if_needed[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_if_needed[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk
fi
if [[ -z "${ZKSYNC_TEST_CONNECTION:-}" ]]; then
  trap 'bash "$ZK" down >/dev/null 2>&1 || true' EXIT
  ZKSYNC_TEST_CONNECTION="$(bash "$ZK" up 3 | tail -n 1)"
fi
export ZKSYNC_TEST_CONNECTION
dotnet run -c Release --project benchmarks/ZkSync.Benchmarks -- report "${1:-10}" docs/benchmarks.md
