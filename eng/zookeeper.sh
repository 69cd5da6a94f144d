#!/usr/bin/env bash
# Local Apache ZooKeeper on 127.0.0.1 for ZkSync development, tests and CI: Debian bookworm's 3.8 package, or 3.9.3
# (ZK_VERSION=3.9.3: Debian trixie's .deb files, downloaded with apt and unpacked beside the installed 3.8).
#
# Usage: eng/zookeeper.sh <command> [arguments]
#   install               install Debian's zookeeper package when it is missing
#   install-peers         install the interop peers (Curator recipes, python3-kazoo) when missing; with
#                         ZK_VERSION=3.9.3 also Curator 5.7.1 and the 3.9.3 client jars (see java-lib)
#   java-lib              print the folder of jars the Java interop peers use for ZK_VERSION (ZKSYNC_JAVA_LIB)
#   up-tls                start a standalone server with a TLS port (secureClientPort = BASE+301) next to its
#                         plain one, with a throwaway CA; prints `export ZKSYNC_TEST_TLS_*=…` lines for the tests
#   up [N]                start a standalone server (N=1) or an N-member ensemble (default 3) and wait
#                         until every member serves requests; prints the connection string last on stdout
#   down                  stop the members this script started and remove their configs, data and logs
#   stop M | start M      take member M down / bring it back (start waits until M serves again)
#   status                print each member's mode (standalone, leader, follower, not-serving or down) and
#                         the server version
#   leader                print the number of the member that leads (the standalone server for N=1)
#   connection-string [N] print the running ensemble's connection string (or the one `up N` would use)
#   is-running            exit 0 when a member started from the state directory is running
#
# Environment:
#   ZK_BASE_PORT    base port, default 22180: member i listens for clients on BASE+i, for followers on
#                   BASE+100+i and for leader election on BASE+200+i
#   ZK_STATE_DIR    configs, data, pid files and logs, default <repo>/.zk
#   ZK_WAIT_SECONDS how long `up` and `start` wait for members to serve, default 60
#   ZK_JAVA_OPTS    extra JVM options for every member
#   ZK_FORCE_SYNC   yes: every member fsyncs its transaction log before it acknowledges a write (ZooKeeper's
#                   default, what a production ensemble does); no (the default here): throwaway data, no fsync.
#                   Read when `up` writes the members' configs.
#   ZK_VERSION      3.8 (default: Debian bookworm's zookeeper package) or 3.9.3 (Debian trixie's zookeeper and
#                   libcurator-*-java 5.7.1 .deb files, fetched with apt-get download from the mirror apt is
#                   configured with and unpacked with dpkg -x under ZK_RELEASES_DIR; the installed 3.8 stays, and
#                   the same Java 17 runs both). An ensemble keeps the version it was started with: stop, start
#                   and status use the recorded one.
#   ZK_RELEASES_DIR where other versions are unpacked, default /opt/zksync
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT="$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)"
STATE_DIR="$(realpath -m "${ZK_STATE_DIR:-$REPO_ROOT/.zk}")"
BASE_PORT="${ZK_BASE_PORT:-22180}"
WAIT_SECONDS="${ZK_WAIT_SECONDS:-60}"
FORCE_SYNC="${ZK_FORCE_SYNC:-no}"
readonly SCRIPT_PATH REPO_ROOT STATE_DIR WAIT_SECONDS

readonly ZOOKEEPER_JAR=/usr/share/java/zookeeper.jar
readonly RELEASES_DIR="${ZK_RELEASES_DIR:-/opt/zksync}"
# The Debian release that ships the other version, and the upstream versions taken from it.
readonly OTHER_SUITE=trixie
readonly OTHER_ZOOKEEPER=3.9.3
readonly OTHER_CURATOR=5.7.1
readonly SLF4J_SIMPLE_JAR=/usr/share/java/slf4j-simple.jar
readonly MAIN_CLASS=org.apache.zookeeper.server.quorum.QuorumPeerMain
readonly FOUR_LETTER_WORDS=ruok,srvr,mntr,cons,stat,conf,wchs,isro
readonly STOP_WAIT_SECONDS=15
readonly MAX_MEMBERS=9

# Recorded ensemble size; 0 while no ensemble state exists.
MEMBERS=0
# The server version: the recorded one once an ensemble exists, else ZK_VERSION.
VERSION=''

log() {
  printf 'zookeeper.sh: %s\n' "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '2,/^set -euo pipefail/{/^#/s/^# \{0,1\}//p}' "$SCRIPT_PATH" >&2
}

is_uint() {
  [[ $1 =~ ^(0|[1-9][0-9]*)$ ]]
}

# ---------------------------------------------------------------------------------------------------
# Packages

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing packages needs root (or sudo): $*"
  fi
}

package_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

# Installs the given Debian packages unless all of them are installed already.
apt_install() {
  local missing=() package
  for package in "$@"; do
    package_installed "$package" || missing+=("$package")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get to install them"
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=300 >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2
}

# Prints 3.8 or 3.9.3 for a ZK_VERSION value; fails naming the allowed values.
normalize_version() {
  case ${1:-} in
    '' | 3.8 | 3.8.0) echo 3.8 ;;
    3.9.3 | 3.9) echo "$OTHER_ZOOKEEPER" ;;
    *) die "ZK_VERSION must be 3.8 (Debian bookworm's package, the default) or $OTHER_ZOOKEEPER, not '$1'" ;;
  esac
}

# Where the .deb files of version $1 are unpacked (dpkg -x) and where its peer jar folder is.
release_dir() { echo "$RELEASES_DIR/zookeeper-$1"; }

# The jars that run a server of $VERSION, jute first: the 3.9.3 jar's manifest also names /usr/share/java's 3.8 jute.
zookeeper_jars() {
  if [[ $VERSION == 3.8 ]]; then
    echo "$ZOOKEEPER_JAR"
  else
    local java
    java="$(release_dir "$VERSION")/root/usr/share/java"
    echo "$java/zookeeper-jute.jar:$java/zookeeper.jar"
  fi
}

# The apt mirror of the configured Debian sources (deb.debian.org when none is found).
debian_mirror() {
  local uri
  uri="$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
    grep -m1 -E '^https?://[^ ]*/debian/$' || true)"
  echo "${uri:-http://deb.debian.org/debian/}"
}

# Downloads packages "name=upstream-version" from $OTHER_SUITE with apt-get download (a throwaway source list and
# package lists: the system's sources stay as they are) and unpacks them into $1 with dpkg -x.
fetch_debs() {
  local target=$1 work mirror spec name upstream candidate deb
  shift
  command -v apt-get >/dev/null 2>&1 || die "apt-get is needed to download the $OTHER_SUITE packages ($*)"
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap removes this download folder
  trap "rm -rf -- '$work'" RETURN
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  mirror="$(debian_mirror)"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $OTHER_SUITE main" >"$work/sources.list"
  local apt_options=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root -q)
  log "downloading $* from Debian $OTHER_SUITE ($mirror)"
  apt-get "${apt_options[@]}" update >&2 || die "apt-get update of Debian $OTHER_SUITE from $mirror failed"
  for spec in "$@"; do
    name=${spec%%=*}
    upstream=${spec#*=}
    candidate="$(apt-cache "${apt_options[@]}" show "$name" 2>/dev/null |
      sed -n 's/^Version: //p' | grep -m1 -E "^([0-9]+:)?${upstream//./\.}([-+~]|$)" || true)"
    [[ -n $candidate ]] || die "Debian $OTHER_SUITE has no $name $upstream (apt-cache show $name)"
    (cd "$work/debs" && apt-get "${apt_options[@]}" download "$name=$candidate" >&2) ||
      die "apt-get download $name=$candidate failed"
  done
  mkdir -p "$target"
  for deb in "$work/debs"/*.deb; do
    dpkg -x "$deb" "$target"
  done
}

ensure_zookeeper() {
  apt_install zookeeper
  [[ -f $ZOOKEEPER_JAR ]] || die "$ZOOKEEPER_JAR not found although the zookeeper package is installed"
  command -v java >/dev/null 2>&1 || die "java is not on PATH"
  if [[ $VERSION != 3.8 ]]; then
    local dir
    dir="$(release_dir "$VERSION")"
    if [[ ! -f $dir/root/usr/share/java/zookeeper.jar ]]; then
      # Its dependencies (Netty, Jetty, Jackson, metrics, ...) are the ones bookworm's 3.8 package installed.
      as_root bash "$SCRIPT_PATH" fetch-debs "$dir/root" "zookeeper=$VERSION" "libzookeeper-java=$VERSION"
    fi
    [[ -f $dir/root/usr/share/java/zookeeper-jute.jar ]] || die "$dir holds no ZooKeeper $VERSION jars"
  fi
}

# The interop peers; for another version also its Curator and client jars, gathered in the folder java-lib prints.
ensure_peers() {
  apt_install libcurator-recipes-java python3-kazoo
  if [[ $VERSION != 3.8 ]]; then
    ensure_zookeeper
    local dir lib jar
    dir="$(release_dir "$VERSION")"
    if [[ ! -f $dir/root/usr/share/java/curator-recipes-$OTHER_CURATOR.jar ]]; then
      as_root bash "$SCRIPT_PATH" fetch-debs "$dir/root" "libcurator-client-java=$OTHER_CURATOR" "libcurator-framework-java=$OTHER_CURATOR" \
        "libcurator-recipes-java=$OTHER_CURATOR"
    fi
    lib="$dir/java"
    as_root mkdir -p "$lib"
    for jar in zookeeper.jar zookeeper-jute.jar curator-client.jar curator-framework.jar curator-recipes.jar; do
      as_root ln -sfn "$dir/root/usr/share/java/$jar" "$lib/$jar"
    done
    for jar in guava.jar slf4j-api.jar slf4j-simple.jar; do
      [[ -f /usr/share/java/$jar ]] && as_root ln -sfn "/usr/share/java/$jar" "$lib/$jar"
    done
  fi
}

cmd_java_lib() {
  if [[ $VERSION == 3.8 ]]; then
    echo /usr/share/java
  else
    echo "$(release_dir "$VERSION")/java"
  fi
}

# ---------------------------------------------------------------------------------------------------
# State: $STATE_DIR/ensemble records the size and base port; member<i>/ holds zoo.cfg, data/,
# zookeeper.pid and zookeeper.log of member i.

client_port() { echo $((BASE_PORT + $1)); }
quorum_port() { echo $((BASE_PORT + 100 + $1)); }
election_port() { echo $((BASE_PORT + 200 + $1)); }
member_dir() { echo "$STATE_DIR/member$1"; }
secure_port() { echo $((BASE_PORT + 300 + $1)); }
tls_dir() { echo "$STATE_DIR/tls"; }
# A TLS server is one whose state holds the certificates up-tls generated.
is_tls() { [[ -d "$(tls_dir)" ]]; }

# A throwaway CA and a server certificate for 127.0.0.1/localhost, as PKCS#12 key and trust stores.
generate_tls() {
  local dir
  dir="$(tls_dir)"
  mkdir -p "$dir"
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  command -v keytool >/dev/null 2>&1 || die "keytool (from the JDK) is needed for the TLS trust store"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
    -subj "/CN=ZkSync test CA" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -out "$dir/server.pem" -days 2 -extfile "$dir/ext.cnf" >/dev/null 2>&1
  openssl pkcs12 -export -in "$dir/server.pem" -inkey "$dir/server.key" -out "$dir/server.p12" -passout pass:changeit
  keytool -importcert -noprompt -alias ca -file "$dir/ca.pem" -keystore "$dir/trust.p12" -storetype PKCS12 \
    -storepass changeit >/dev/null 2>&1
}

connection_string_for() {
  local count=$1 i parts=()
  for ((i = 1; i <= count; i++)); do
    parts+=("127.0.0.1:$(client_port "$i")")
  done
  local IFS=,
  echo "${parts[*]}"
}

validate_base_port() {
  if ! is_uint "$BASE_PORT" || ((BASE_PORT < 1024 || BASE_PORT + 200 + MAX_MEMBERS > 65535)); then
    die "ZK_BASE_PORT must be a number from 1024 to $((65535 - 200 - MAX_MEMBERS)), not '$BASE_PORT'"
  fi
}

validate_force_sync() {
  [[ $FORCE_SYNC == yes || $FORCE_SYNC == no ]] || die "ZK_FORCE_SYNC must be yes or no, not '$FORCE_SYNC'"
}

validate_count() {
  if ! is_uint "$1" || (($1 < 1 || $1 > MAX_MEMBERS)); then
    die "the ensemble size must be a number from 1 to $MAX_MEMBERS, not '$1'"
  fi
}

# Loads the recorded ensemble (if any) into MEMBERS and BASE_PORT; returns 1 when there is none.
load_state() {
  local file="$STATE_DIR/ensemble" key value members='' base='' version=3.8
  [[ -f $file ]] || return 1
  while IFS='=' read -r key value; do
    case $key in
      members) members=$value ;;
      base_port) base=$value ;;
      version) version=$value ;;
    esac
  done <"$file"
  if ! is_uint "$members" || ! is_uint "$base"; then
    die "$file is damaged; run '$0 down' to remove it"
  fi
  if [[ -n ${ZK_BASE_PORT:-} && $ZK_BASE_PORT != "$base" ]]; then
    log "note: the ensemble in $STATE_DIR uses base port $base (ZK_BASE_PORT=$ZK_BASE_PORT is ignored)"
  fi
  if [[ -n ${ZK_VERSION:-} && "$(normalize_version "$ZK_VERSION")" != "$version" ]]; then
    log "note: the ensemble in $STATE_DIR runs ZooKeeper $version (ZK_VERSION=$ZK_VERSION is ignored)"
  fi
  MEMBERS=$members
  BASE_PORT=$base
  VERSION=$version
}

require_state() {
  load_state || die "no ensemble in $STATE_DIR; start one with '$0 up'"
}

require_member() {
  if ! is_uint "${1:-}" || (($1 < 1 || $1 > MEMBERS)); then
    die "member must be a number from 1 to $MEMBERS, not '${1:-}'"
  fi
}

write_state() {
  mkdir -p "$STATE_DIR"
  printf 'members=%s\nbase_port=%s\nversion=%s\nconnection_string=%s\n' \
    "$MEMBERS" "$BASE_PORT" "$VERSION" "$(connection_string_for "$MEMBERS")" >"$STATE_DIR/ensemble.tmp"
  mv "$STATE_DIR/ensemble.tmp" "$STATE_DIR/ensemble"
}

write_member_config() {
  local i=$1 dir j
  dir="$(member_dir "$i")"
  mkdir -p "$dir/data"
  echo "$i" >"$dir/data/myid"
  {
    echo "# Written by eng/zookeeper.sh; removed by 'eng/zookeeper.sh down'."
    echo "tickTime=1000"
    # Sessions from 2 s (2 ticks) so that expiry tests stay short, up to 60 s.
    echo "minSessionTimeout=2000"
    echo "maxSessionTimeout=60000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$dir/data"
    echo "clientPort=$(client_port "$i")"
    echo "clientPortAddress=127.0.0.1"
    # The default of 60 connections per address is too few when every client comes from 127.0.0.1.
    echo "maxClientCnxns=0"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=$FOUR_LETTER_WORDS"
    echo "extendedTypesEnabled=true"
    # Throwaway data by default: skip fsync on every transaction (becomes zookeeper.forceSync=no).
    echo "forceSync=$FORCE_SYNC"
    if is_tls; then
      echo "secureClientPort=$(secure_port "$i")"
      echo "secureClientPortAddress=127.0.0.1"
      echo "ssl.keyStore.location=$(tls_dir)/server.p12"
      echo "ssl.keyStore.password=changeit"
      echo "ssl.keyStore.type=PKCS12"
      echo "ssl.trustStore.location=$(tls_dir)/trust.p12"
      echo "ssl.trustStore.password=changeit"
      echo "ssl.trustStore.type=PKCS12"
      echo "ssl.clientAuth=none"
    fi
    if ((MEMBERS > 1)); then
      for ((j = 1; j <= MEMBERS; j++)); do
        echo "server.$j=127.0.0.1:$(quorum_port "$j"):$(election_port "$j")"
      done
    fi
  } >"$dir/zoo.cfg"
}

# ---------------------------------------------------------------------------------------------------
# Processes

# Succeeds when process $1 is a ZooKeeper server running member $2's config from this state dir.
is_member_process() {
  local pid=$1 config args=() arg has_main=0 has_config=0
  config="$(member_dir "$2")/zoo.cfg"
  [[ -r /proc/$pid/cmdline ]] || return 1
  mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  for arg in "${args[@]}"; do
    [[ $arg == "$MAIN_CLASS" ]] && has_main=1
    [[ $arg == "$config" ]] && has_config=1
  done
  ((has_main && has_config))
}

# Prints the pids of the running processes of member $1: the recorded pid and, should the pid file
# be missing (a start interrupted halfway), any ZooKeeper process started with this member's config.
member_pids() {
  local i=$1 pid_file pid proc
  pid_file="$(member_dir "$i")/zookeeper.pid"
  if [[ -f $pid_file ]]; then
    pid="$(<"$pid_file")"
    if is_uint "$pid" && is_member_process "$pid" "$i"; then
      echo "$pid"
      return 0
    fi
  fi
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    if is_member_process "$pid" "$i"; then
      echo "$pid"
    fi
  done
}

member_running() {
  [[ -n "$(member_pids "$1")" ]]
}

# Succeeds while process $1 exists and is not a zombie. A dying process loses its command line
# before the kernel closes its files, so the identity check cannot tell when the ports are free.
process_alive() {
  local stat state
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z && $state != X ]]
}

wait_for_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while process_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

stop_member() {
  local i=$1 pid stopped=0
  for pid in $(member_pids "$i"); do
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for_exit "$pid" "$STOP_WAIT_SECONDS"; then
      log "member $i (pid $pid) ignored TERM for ${STOP_WAIT_SECONDS}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_for_exit "$pid" 5 || die "member $i (pid $pid) survived KILL"
    fi
    log "stopped member $i (pid $pid)"
    stopped=1
  done
  rm -f "$(member_dir "$i")/zookeeper.pid"
  ((stopped)) || log "member $i was not running"
}

port_in_use() {
  # shellcheck disable=SC2016 # $1 expands in the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

require_ports_free() {
  local port
  for port in "$(client_port "$1")" "$(quorum_port "$1")" "$(election_port "$1")"; do
    if port_in_use "$port"; then
      die "port $port (member $1) is taken by another process; choose another ZK_BASE_PORT"
    fi
  done
}

classpath() {
  local path
  path="$(zookeeper_jars)"
  # The package ships no SLF4J binding; with slf4j-simple the member logs go to zookeeper.log.
  if [[ -f $SLF4J_SIMPLE_JAR ]]; then
    path+=":$SLF4J_SIMPLE_JAR"
  fi
  # The Netty connection factory (TLS) needs netty's codec and resolver, which the manifest leaves out.
  if is_tls; then
    path+=":/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar"
  fi
  echo "$path"
}

launch_member() {
  local i=$1 dir pid_file deadline java_opts=()
  dir="$(member_dir "$i")"
  pid_file="$dir/zookeeper.pid"
  require_ports_free "$i"
  if [[ -n ${ZK_JAVA_OPTS:-} ]]; then
    read -r -a java_opts <<<"$ZK_JAVA_OPTS"
  fi
  if is_tls; then
    java_opts+=(-Dzookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory)
  fi
  rm -f "$pid_file"
  # setsid: a Ctrl-C in the caller's terminal must not reach the servers; `down` stops them.
  # fd 9 (the script lock) is closed so that the server does not hold the lock.
  # shellcheck disable=SC2016 # $$ and $@ expand in the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pid_file" \
    java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true \
    -Dzookeeper.extendedTypesEnabled=true \
    -Dznode.container.checkIntervalMs=1000 \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
    "${java_opts[@]}" \
    -cp "$(classpath)" "$MAIN_CLASS" "$dir/zoo.cfg" \
    </dev/null >>"$dir/zookeeper.log" 2>&1 9<&- &
  deadline=$((SECONDS + 10))
  until [[ -s $pid_file ]]; do
    ((SECONDS < deadline)) || die "member $i did not record its pid in $pid_file"
    sleep 0.05
  done
  log "started member $i (pid $(<"$pid_file"), client port $(client_port "$i"))"
}

# ---------------------------------------------------------------------------------------------------
# Four-letter words and readiness

# Sends a four-letter word to 127.0.0.1:$1 and prints the reply; exits 97 when nothing listens.
four_letter_word() {
  # shellcheck disable=SC2016 # $1 and $2 expand in the inner shell
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 97; printf %s "$2" >&3; cat <&3' \
    _ "$1" "$2" 2>/dev/null
}

# Prints standalone, leader, follower or observer, or not-serving or down.
member_mode() {
  local reply rc=0 mode
  reply="$(four_letter_word "$(client_port "$1")" srvr)" || rc=$?
  if ((rc == 97)); then
    echo down
    return 0
  fi
  mode="$(sed -n 's/^Mode: *\([a-z-]*\).*/\1/p' <<<"$reply")"
  echo "${mode:-not-serving}"
}

tail_logs() {
  local i log_file
  for i in "$@"; do
    log_file="$(member_dir "$i")/zookeeper.log"
    if [[ -f $log_file ]]; then
      echo "----- member $i: last lines of $log_file" >&2
      tail -n 25 "$log_file" >&2
    fi
  done
}

# Waits until the given members serve requests: standalone for a single server; leader or follower
# in an ensemble, where exactly one of all members must lead. A bare `ruok` is not enough: a member
# without quorum still answers imok, while `srvr` says it is not currently serving requests.
wait_until_serving() {
  local members=("$@") deadline=$((SECONDS + WAIT_SECONDS)) i leaders summary ready modes=()
  while true; do
    ready=1
    leaders=0
    summary=''
    for ((i = 1; i <= MEMBERS; i++)); do
      modes[i]="$(member_mode "$i")"
      summary+=" $i=${modes[i]}"
      [[ ${modes[i]} == leader ]] && leaders=$((leaders + 1))
    done
    for i in "${members[@]}"; do
      if ! member_running "$i"; then
        log "member $i exited while starting (modes:$summary)"
        tail_logs "$i"
        die "member $i failed to start; see $(member_dir "$i")/zookeeper.log, and run '$0 down' to clean up"
      fi
      if ((MEMBERS == 1)); then
        [[ ${modes[i]} == standalone ]] || ready=0
      else
        [[ ${modes[i]} == leader || ${modes[i]} == follower ]] || ready=0
      fi
    done
    if ((MEMBERS > 1 && leaders != 1)); then
      ready=0
    fi
    if ((ready)); then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      log "members not serving after ${WAIT_SECONDS}s (modes:$summary)"
      tail_logs "${members[@]}"
      die "ZooKeeper did not become ready; run '$0 down' to clean up"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------------
# Commands

# Serialises the commands that start or stop processes (tests may stop and start members while a
# developer runs `status`, which needs no lock).
lock_state() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9<"$SCRIPT_PATH"
  flock -w 300 9 || die "another eng/zookeeper.sh command held the lock for 300 s"
}

running_members() {
  local i running=()
  for ((i = 1; i <= MEMBERS; i++)); do
    member_running "$i" && running+=("$i")
  done
  echo "${running[*]}"
}

cmd_up() {
  local count=${1:-3} requested_base=$BASE_PORT i missing=() all=() running
  validate_count "$count"
  validate_base_port
  validate_force_sync
  ensure_zookeeper
  lock_state
  local requested_version=$VERSION
  if load_state; then
    running="$(running_members)"
    if [[ -n $running ]]; then
      if ((MEMBERS != count)) || [[ $BASE_PORT != "$requested_base" && -n ${ZK_BASE_PORT:-} ]] ||
        [[ $VERSION != "$requested_version" && -n ${ZK_VERSION:-} ]]; then
        die "an ensemble of $MEMBERS (ZooKeeper $VERSION) on base port $BASE_PORT is already running from $STATE_DIR; run '$0 down' first"
      fi
      for ((i = 1; i <= MEMBERS; i++)); do
        member_running "$i" || missing+=("$i")
      done
      for i in "${missing[@]}"; do
        launch_member "$i"
      done
      for ((i = 1; i <= MEMBERS; i++)); do all+=("$i"); done
      wait_until_serving "${all[@]}"
      log "already up (${MEMBERS} member(s) in $STATE_DIR)"
      connection_string_for "$MEMBERS"
      return 0
    fi
    log "removing the stale state of a stopped ensemble in $STATE_DIR"
    remove_state
    BASE_PORT=$requested_base
    VERSION=$requested_version
  fi
  MEMBERS=$count
  for ((i = 1; i <= MEMBERS; i++)); do
    require_ports_free "$i"
  done
  write_state
  for ((i = 1; i <= MEMBERS; i++)); do
    write_member_config "$i"
  done
  for ((i = 1; i <= MEMBERS; i++)); do
    launch_member "$i"
    all+=("$i")
  done
  wait_until_serving "${all[@]}"
  log "ready: ZooKeeper $(server_version 1), $(if ((MEMBERS == 1)); then echo standalone; else echo "$MEMBERS members, leader is member $(find_leader)"; fi)"
  connection_string_for "$MEMBERS"
}

remove_state() {
  local dir
  # Only what this script created, in case ZK_STATE_DIR points at a directory holding other files.
  for dir in "$STATE_DIR"/member[0-9]*; do
    [[ -d $dir ]] && rm -rf -- "$dir"
  done
  rm -f -- "$STATE_DIR/ensemble" "$STATE_DIR/ensemble.tmp"
  [[ -d "$(tls_dir)" ]] && rm -rf -- "$(tls_dir)"
  if [[ -d $STATE_DIR ]]; then
    rmdir --ignore-fail-on-non-empty -- "$STATE_DIR"
  fi
}

cmd_down() {
  local dir i found=0
  lock_state
  # Walk the member directories rather than the recorded size: `up` may have failed before or
  # after recording it.
  for dir in "$STATE_DIR"/member[0-9]*; do
    [[ -d $dir ]] || continue
    i=${dir##*/member}
    is_uint "$i" || continue
    found=1
    stop_member "$i"
  done
  if ((found == 0)) && [[ ! -f $STATE_DIR/ensemble ]]; then
    log "nothing to stop in $STATE_DIR"
  fi
  remove_state
}

cmd_stop() {
  lock_state
  require_state
  require_member "${1:-}"
  stop_member "$1"
}

cmd_start() {
  lock_state
  require_state
  require_member "${1:-}"
  if member_running "$1"; then
    log "member $1 is already running"
  else
    launch_member "$1"
  fi
  wait_until_serving "$1"
  log "member $1 serves as $(member_mode "$1")"
}

cmd_status() {
  local i
  require_state
  for ((i = 1; i <= MEMBERS; i++)); do
    printf 'member %s 127.0.0.1:%s %s %s\n' "$i" "$(client_port "$i")" "$(member_mode "$i")" "$(server_version "$i")"
  done
}

# Prints the version member $1 reports (srvr), e.g. 3.9.3, or "unknown".
server_version() {
  local version
  version="$(four_letter_word "$(client_port "$1")" srvr | sed -n 's/^Zookeeper version: \([0-9.]*\).*/\1/p' || true)"
  echo "${version:-unknown}"
}

# Prints the leading member (the standalone server counts as leader); fails when none leads.
find_leader() {
  local i mode
  for ((i = 1; i <= MEMBERS; i++)); do
    mode="$(member_mode "$i")"
    if [[ $mode == leader || $mode == standalone ]]; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

cmd_leader() {
  require_state
  find_leader || die "no member leads right now"
}

cmd_up_tls() {
  local connection
  if ! load_state || [[ -z "$(running_members)" ]]; then
    # Fresh state: certificates first, so that the member config and launch see a TLS server.
    validate_base_port
    if load_state; then
      remove_state
    fi
    generate_tls
  fi
  connection="$(cmd_up 1 | tail -n 1)"
  is_tls || die "a plaintext server is already running from $STATE_DIR; run '$0 down' first"
  printf 'export ZKSYNC_TEST_TLS_CONNECTION=127.0.0.1:%s\n' "$(secure_port 1)"
  printf 'export ZKSYNC_TEST_TLS_CA=%s\n' "$(tls_dir)/ca.pem"
  printf 'export ZKSYNC_TEST_TLS_PLAIN_CONNECTION=%s\n' "$connection"
}

cmd_connection_string() {
  if load_state; then
    connection_string_for "$MEMBERS"
  else
    local count=${1:-3}
    validate_count "$count"
    validate_base_port
    connection_string_for "$count"
  fi
}

cmd_is_running() {
  load_state || return 1
  [[ -n "$(running_members)" ]]
}

main() {
  local command=${1:-help}
  shift || true
  VERSION="$(normalize_version "${ZK_VERSION:-}")"
  case $command in
    install) ensure_zookeeper ;;
    install-peers) ensure_peers ;;
    java-lib) cmd_java_lib ;;
    fetch-debs) fetch_debs "$@" ;; # internal: run as root by install and install-peers
    up) cmd_up "$@" ;;
    up-tls) cmd_up_tls ;;
    down) cmd_down ;;
    stop) cmd_stop "$@" ;;
    start) cmd_start "$@" ;;
    status) cmd_status ;;
    leader) cmd_leader ;;
    connection-string) cmd_connection_string "$@" ;;
    is-running) cmd_is_running ;;
    help | -h | --help) usage ;;
    *)
      usage
      die "unknown command '$command'"
      ;;
  esac
}

main "$@"
