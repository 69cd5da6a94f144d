#!/usr/bin/env bash
# Builds the benchmark report (docs/benchmarks.md, charts and raw results in docs/benchmarks/): ZkSync next to the
# Java client, Curator and kazoo, on 3-member ensembles this script starts and stops.
#
# Usage: bash eng/bench.sh [seconds per row, default 10] [fsync: both (default) | on | off] [rounds, default 3]
#
# For each fsync mode (ZK_FORCE_SYNC=yes/no for eng/zookeeper.sh) a fresh ensemble runs the queue-length curve
# (N = 1, 8, 64, 256 sessions on one lock, each library in each round) into docs/benchmarks/queue-fsync-<mode>.json
# and the scale rows of ZkSync, Curator and kazoo (1, 100, 10,000 locks held at once; BENCH_NAMES distinct names taken
# and released, default 1000000, then the container reaper; BENCH_PEER_NAMES caps a peer's names run, default
# curator=100000,kazoo=10000, "" for no cap) into docs/benchmarks/scale-fsync-<mode>.json, and the reconnect storm (the leader
# restarted under 50 sessions holding 1,000 watches each, each library in each round) into
# docs/benchmarks/storm-fsync-<mode>.json;
# the last mode's ensemble then runs the single-point sections (client throughput, lock rows, HTTP) and the report
# is written with the curves' charts (ScottPlot PNGs) and tables. A mode not measured keeps its earlier JSON file,
# whose date the report shows.
#
# Environment: ZK_BASE_PORT (default 22180) and ZK_STATE_DIR (default <repo>/.zk; the ensemble lives in its bench/
# subfolder) choose the ensemble as for eng/zookeeper.sh, so checkouts can benchmark side by side. With
# ZKSYNC_TEST_CONNECTION set, that running ensemble is used for one mode (give it as the second argument) and nothing
# is started or stopped.
# Runtime, unattended, with the defaults: about 90 minutes (per mode 3 rounds × 4 queue lengths × 3 libraries of
# about 15 s each, and the scale rows of the three libraries: about 25 minutes, most of it ZkSync's 10^6 names at
# about 1,000 a second; then the reconnect storm, 3 rounds of about 100 s; then the single-point sections, about
# 7 minutes). BENCH_NAMES=100000 saves about 15 minutes per mode.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
ZK="$REPO_ROOT/eng/zookeeper.sh"
ROW_SECONDS="${1:-10}"
FSYNC="${2:-both}"
ROUNDS="${3:-3}"
NAMES="${BENCH_NAMES:-1000000}"
PEER_NAMES="${BENCH_PEER_NAMES-curator=100000,kazoo=10000}"
# The names row waits for the container reaper to remove every empty parent; its default pace (10,000 a minute) would
# take ten minutes for 100,000 names.
export ZK_JAVA_OPTS="${ZK_JAVA_OPTS:-} -Dznode.container.maxPerMinute=1000000"
case $FSYNC in
  both) MODES=(on off) ;;
  on | off) MODES=("$FSYNC") ;;
  *) echo "bench.sh: fsync must be both, on or off, not '$FSYNC'" >&2; exit 2 ;;
esac
export ZK_STATE_DIR="${ZK_STATE_DIR:-$REPO_ROOT/.zk}/bench"
bash "$ZK" install
bash "$ZK" install-peers
# The HTTP row's load generator.
if ! command -v wrk >/dev/null 2>&1; then
  sudo_if_needed=(); [[ $(id -u) -eq 0 ]] || sudo_if_needed=(sudo)
  "${sudo_if_needed[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_if_needed[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk
fi
MSBUILDDISABLENODEREUSE=1 dotnet build -c Release benchmarks/ZkSync.Benchmarks
bench() { dotnet run -c Release --no-build --project benchmarks/ZkSync.Benchmarks -- "$@"; }

if [[ -n "${ZKSYNC_TEST_CONNECTION:-}" ]]; then
  [[ ${#MODES[@]} -eq 1 ]] || { echo "bench.sh: with ZKSYNC_TEST_CONNECTION, name the ensemble's fsync mode (on or off)" >&2; exit 2; }
  bench queue "$ROW_SECONDS" "${MODES[0]}" "docs/benchmarks/queue-fsync-${MODES[0]}.json" "$ROUNDS"
  bench scale "${MODES[0]}" "docs/benchmarks/scale-fsync-${MODES[0]}.json" 1,100,10000 "$NAMES" "$PEER_NAMES"
  # The storm restarts a member: only an ensemble eng/zookeeper.sh started from ZK_STATE_DIR.
  bench storm "${MODES[0]}" "docs/benchmarks/storm-fsync-${MODES[0]}.json" "$ROUNDS" \
    || echo "bench.sh: reconnect storm failed; the report keeps its earlier JSON file" >&2
  bench report "$ROW_SECONDS" docs/benchmarks.md "${MODES[0]}"
  exit 0
fi

trap 'bash "$ZK" down >/dev/null 2>&1 || true' EXIT
for mode in "${MODES[@]}"; do
  bash "$ZK" down >/dev/null 2>&1 || true
  if [[ $mode == on ]]; then export ZK_FORCE_SYNC=yes; else export ZK_FORCE_SYNC=no; fi
  ZKSYNC_TEST_CONNECTION="$(bash "$ZK" up 3 | tail -n 1)"
  export ZKSYNC_TEST_CONNECTION
  bench queue "$ROW_SECONDS" "$mode" "docs/benchmarks/queue-fsync-$mode.json" "$ROUNDS"
  bench scale "$mode" "docs/benchmarks/scale-fsync-$mode.json" 1,100,10000 "$NAMES" "$PEER_NAMES"
  bench storm "$mode" "docs/benchmarks/storm-fsync-$mode.json" "$ROUNDS" \
    || echo "bench.sh: reconnect storm failed with fsync $mode; the report keeps its earlier JSON file" >&2
done
bench report "$ROW_SECONDS" docs/benchmarks.md "${MODES[-1]}"
