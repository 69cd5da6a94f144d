#!/usr/bin/env bash
# Runs the sample web app (samples/WebApp) on http://127.0.0.1:5080 against ZooKeeper.
#
# Usage: eng/run-sample.sh [extra arguments for the app]
#
# Without ZkSync__ConnectionString, installs Debian's zookeeper package when missing and starts a
# standalone server on 127.0.0.1:22181 (eng/zookeeper.sh up 1), which it stops and removes again when
# the app exits (Ctrl-C). A ZooKeeper already running from the state directory is used and left running.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly ZOOKEEPER="$REPO_ROOT/eng/zookeeper.sh"
readonly URL=http://127.0.0.1:5080

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

server_started=0
app_pid=''

log() {
  printf 'run-sample.sh: %s\n' "$*" >&2
}

stop_app() {
  local deadline
  [[ -n $app_pid ]] || return 0
  # dotnet run and the app share a process group of their own (setsid below); ASP.NET Core shuts
  # down gracefully on TERM.
  kill -TERM -- "-$app_pid" 2>/dev/null || true
  deadline=$((SECONDS + 15))
  while kill -0 "$app_pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  kill -KILL -- "-$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=''
}

cleanup() {
  stop_app
  if ((server_started)); then
    server_started=0
    bash "$ZOOKEEPER" down || log "warning: 'eng/zookeeper.sh down' failed"
  fi
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

main() {
  local rc=0
  cd "$REPO_ROOT"
  command -v dotnet >/dev/null 2>&1 || { log "error: dotnet is not on PATH"; exit 1; }

  if [[ -n ${ZkSync__ConnectionString:-} ]]; then
    log "using ZkSync__ConnectionString=$ZkSync__ConnectionString"
  else
    bash "$ZOOKEEPER" install
    if bash "$ZOOKEEPER" is-running; then
      ZkSync__ConnectionString="$(bash "$ZOOKEEPER" connection-string)"
      log "using the ZooKeeper already running ($ZkSync__ConnectionString); it stays running"
    else
      # Set before `up`, so that a start that fails halfway is cleaned up as well.
      server_started=1
      ZkSync__ConnectionString="$(bash "$ZOOKEEPER" up 1 | tail -n 1)"
    fi
    export ZkSync__ConnectionString
  fi

  log "starting the sample on $URL with ZooKeeper $ZkSync__ConnectionString; Ctrl-C stops it"
  # In the background, so that the INT and TERM traps run at once and stop the app themselves.
  setsid dotnet run --project samples/WebApp -c Release -- --urls "$URL" "$@" </dev/null &
  app_pid=$!
  wait "$app_pid" || rc=$?
  app_pid=''
  return "$rc"
}

main "$@"
