#!/usr/bin/env bash
# Soak run of the fault-injection suite (not part of CI): four worker processes take one lock for the chosen time on
# an ensemble of their own while every fault kind of tests/ZkSync.Recipes.Tests/Faults/LockFaultTests.cs is injected
# in turn (leader restart, connection resets, stalls, delays, two-way and one-way partitions past the session timeout,
# SIGSTOP of a holder). About 2,500 acquisitions a minute on 2 cores, so 10 minutes reach well over 10,000.
#
# Usage: eng/soak.sh [minutes]   (default 10)
# Prints the suite's summary (acquisitions, violations, Lost per fault kind with detection latency and margin) and
# leaves it in artifacts/soak-report.txt. Exits non-zero on any violation.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
minutes="${1:-10}"
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "soak.sh: minutes must be a number (was '$minutes')" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
cd "$REPO_ROOT"
bash eng/zookeeper.sh install
mkdir -p artifacts
report="$REPO_ROOT/artifacts/soak-report.txt"
rm -f -- "$report"
dotnet build tests/ZkSync.Recipes.Tests -c Release
ZKSYNC_FAULT_MINUTES="$minutes" ZKSYNC_FAULT_REPORT="$report" \
  dotnet test tests/ZkSync.Recipes.Tests -c Release --no-build --filter "Category=Faults" \
  --blame-hang-timeout "$(( ${minutes%.*} + 15 ))m" --blame-hang-dump-type none
cat -- "$report"
