#!/usr/bin/env bash
# Project-local PostgreSQL, Redis, Dovecot and Postfix for development, tests and the demo.
#
#   bash scripts/servers.sh start    DIR    start (or restart) the servers of DIR; idempotent
#   bash scripts/servers.sh stop     DIR    stop everything started for DIR
#   bash scripts/servers.sh status   DIR    show what runs (exit 0 when all is up, 3 otherwise)
#   bash scripts/servers.sh add-user DIR EMAIL PASSWORD
#
# DIR is a scratch folder (e.g. .data/test-123 or .data/demo); all data, configs, sockets
# and logs live under it. Run as root (Debian 12). Ports are free loopback ports picked at
# run time, remembered in DIR/ports.env and reused while still free. When `start` succeeds,
# DIR/servers.env holds DATABASE_URL, REDIS_URL, MAIL_HOST, IMAP_PORT, POP3_PORT, LMTP_PORT,
# SIEVE_PORT, SMTP_PORT (relay, no auth), SUBMISSION_PORT (SASL), MAIL_DOMAIN, MAIL_USERS,
# MAIL_PASSWORD and SERVERS_DIR.
#
# Environment:
#   DATABASE_URL  use this PostgreSQL server instead of a local cluster: a database
#                 emailclient_<basename of DIR> is (re)created on it (kept for DIR "demo")
#   REDIS_URL     use this Redis instead of a local redis-server
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TPL_DIR=$SCRIPT_DIR/servers
MAIL_DOMAIN=example.test
DEFAULT_USERS=(alice bob carol dave)
LOCK_FILE=${TMPDIR:-/tmp}/emailclient-servers.lock
PORT_MIN=20000 # below Linux's ephemeral range (32768+), so outgoing connections never take ours
PORT_MAX=32700

export PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin"

log() { printf 'servers.sh: %s\n' "$*" >&2; }
die() {
  printf 'servers.sh: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# small helpers

# PostgreSQL server binaries: PATH first, then Debian's versioned folder (highest version)
pg_bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  local d
  d=$(find /usr/lib/postgresql -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && printf '%s\n' "$d"
}

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# value quoting for KEY=VALUE files: plain when safe, else single-quoted (bash and dotenv read both)
env_line() {
  local k=$1 v=$2
  if [[ $v =~ ^[A-Za-z0-9_@%+=:,./-]*$ ]]; then
    printf '%s=%s\n' "$k" "$v"
  else
    printf "%s='%s'\n" "$k" "${v//\'/\'\\\'\'}"
  fi
}

# is PID a live process (zombies count as dead: PID 1 here may be slow to reap them)?
pid_alive() {
  local stat=""
  [[ ${1:-} =~ ^[0-9]+$ ]] || return 1
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  [[ $stat =~ ^.*\)\ ([A-Za-z]) ]] || return 1
  [ "${BASH_REMATCH[1]}" != Z ] && [ "${BASH_REMATCH[1]}" != X ]
}

pidfile_pid() { # first word of the first line (Postfix pads its pid with spaces)
  local pid=""
  [ -f "$1" ] && read -r pid _ 2>/dev/null <"$1"
  printf '%s' "$pid"
}

# is the process in PIDFILE alive and does its command name match PATTERN?
pidfile_alive() {
  local file=$1 pattern=$2 pid comm=""
  pid=$(pidfile_pid "$file")
  pid_alive "$pid" || return 1
  read -r comm 2>/dev/null <"/proc/$pid/comm" || return 1
  [[ $comm =~ $pattern ]]
}

# live processes whose session id is SID (daemons that called setsid: their whole family)
session_pids() {
  local sid=$1
  ps -e -o pid=,sid=,stat= | awk -v sid="$sid" '$2 == sid && $3 !~ /^Z/ {print $1}'
}

# wait until no process of session SID is left (TERM then KILL after a while)
reap_session() {
  local sid=$1 name=$2 i pids=()
  if ! [[ $sid =~ ^[0-9]+$ ]] || [ "$sid" -le 1 ]; then return 0; fi
  for i in $(seq 1 200); do
    mapfile -t pids < <(session_pids "$sid")
    [ ${#pids[@]} -eq 0 ] && return 0
    if [ "$i" -eq 100 ]; then kill -TERM "${pids[@]}" 2>/dev/null || true; fi
    sleep 0.05
  done
  mapfile -t pids < <(session_pids "$sid")
  if [ ${#pids[@]} -gt 0 ]; then
    log "$name: killing leftover processes ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
}

# read the greeting of 127.0.0.1:PORT until a line contains TOKEN; print what was read.
# Exit status: 0 token seen, 1 nothing answered (yet), 2 something else answered.
greeting() {
  local port=$1 token=$2
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    got=1
    while IFS= read -r -t 2 line <&3; do
      got=2
      printf "%s\n" "$line"
      case $line in *"$1"*) exit 0 ;; esac
    done
    exit $got' "$port" "$token" 2>/dev/null
}

# wait (up to ~10 s) until PORT greets with our instance token
wait_greeting() {
  local name=$1 port=$2 token=$3 logfile=$4 i out="" rc
  for i in $(seq 1 50); do
    rc=0
    out=$(greeting "$port" "$token") || rc=$?
    [ $rc -eq 0 ] && return 0
    [ $rc -eq 2 ] && break # another program answers on this port
    sleep 0.2
  done
  log "$name did not answer as ours on 127.0.0.1:$port (expected a greeting with '$token')"
  [ -n "$out" ] && log "it said: $(printf '%s' "$out" | head -n 3)"
  show_log "$logfile"
  exit 1
}

show_log() {
  local f=$1
  if [ -f "$f" ]; then
    log "last lines of $f:"
    tail -n 25 "$f" >&2
  fi
}

# can USER reach (traverse) PATH? Name the first folder that blocks it.
check_traversable() {
  local user=$1 path=$2 p
  if runuser -u "$user" -- test -x "$path" 2>/dev/null; then
    return 0
  fi
  # name the topmost folder that blocks it
  local parts=() part
  IFS=/ read -r -a parts <<<"${path#/}"
  p=""
  for part in "${parts[@]}"; do
    p+="/$part"
    if ! runuser -u "$user" -- test -x "$p" 2>/dev/null; then
      die "user '$user' cannot traverse '$p' (needed for $path): run 'chmod o+x $p' or use a DIR elsewhere"
    fi
  done
  die "user '$user' cannot reach $path"
}

render() { # TEMPLATE OUT: replace {{KEY}} with the values below
  local tpl=$1 out=$2 tmp
  [ -f "$tpl" ] || die "template missing: $tpl"
  tmp=$out.tmp.$$
  awk -v DIR="$DIR" -v INSTANCE_ID="$INSTANCE_ID" -v MAIL_DOMAIN="$MAIL_DOMAIN" \
    -v IMAP_PORT="$IMAP_PORT" -v POP3_PORT="$POP3_PORT" -v LMTP_PORT="$LMTP_PORT" \
    -v SIEVE_PORT="$SIEVE_PORT" -v SMTP_PORT="$SMTP_PORT" -v SUBMISSION_PORT="$SUBMISSION_PORT" '
    function sub_all(s, key, val,   out, i) {
      out = ""
      while ((i = index(s, "{{" key "}}")) > 0) {
        out = out substr(s, 1, i - 1) val
        s = substr(s, i + length(key) + 4)
      }
      return out s
    }
    {
      line = $0
      line = sub_all(line, "DIR", DIR)
      line = sub_all(line, "INSTANCE_ID", INSTANCE_ID)
      line = sub_all(line, "MAIL_DOMAIN", MAIL_DOMAIN)
      line = sub_all(line, "IMAP_PORT", IMAP_PORT)
      line = sub_all(line, "POP3_PORT", POP3_PORT)
      line = sub_all(line, "LMTP_PORT", LMTP_PORT)
      line = sub_all(line, "SIEVE_PORT", SIEVE_PORT)
      line = sub_all(line, "SMTP_PORT", SMTP_PORT)
      line = sub_all(line, "SUBMISSION_PORT", SUBMISSION_PORT)
      print line
    }' "$tpl" >"$tmp"
  if grep -q '{{[A-Z_]*}}' "$tmp"; then
    rm -f "$tmp"
    die "unreplaced placeholder in $tpl"
  fi
  # Keep the file (and its mtime) when nothing changed. A changed file gets an mtime a few
  # seconds in the past: Postfix programs sleep ~2 s when main.cf changed in the last seconds.
  if cmp -s "$tmp" "$out"; then
    rm -f "$tmp"
  else
    touch -d "@$(($(date +%s) - 5))" "$tmp"
    mv -f "$tmp" "$out"
  fi
}

# ---------------------------------------------------------------------------------------------
# packages

ensure_packages() {
  local missing=() pkgs=(dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved dovecot-sieve postfix)
  command -v dovecot >/dev/null 2>&1 || missing+=(dovecot)
  [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
  [ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
  [ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
  [ -x /usr/lib/dovecot/managesieve ] || missing+=(dovecot-managesieved)
  [ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] || missing+=(dovecot-sieve)
  command -v postfix >/dev/null 2>&1 || missing+=(postfix)
  if [ -z "${DATABASE_URL:-}" ] && [ -z "$(pg_bin_dir)" ]; then
    missing+=(initdb)
    pkgs+=(postgresql)
  fi
  if ! command -v psql >/dev/null 2>&1; then
    missing+=(psql)
    pkgs+=(postgresql-client)
  fi
  if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
    missing+=(redis-server)
    pkgs+=(redis-server)
  fi
  command -v script >/dev/null 2>&1 || pkgs+=(bsdutils)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "missing: ${missing[*]}; installing ${pkgs[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
}

# ---------------------------------------------------------------------------------------------
# ports

# choose ports: NAME=PORT pairs in, NAME=PORT out. A pair marked NAME=PORT:keep is in use by
# our own running server and kept as is; a remembered port is reused when it can be bound on
# 127.0.0.1, otherwise (or when empty) a random free port in [PORT_MIN, PORT_MAX] is picked.
choose_ports() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const net = require("net");
    const [min, max, ...specs] = process.argv.slice(1);
    const canBind = (port) => new Promise((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(false));
      s.listen({ host: "127.0.0.1", port, exclusive: true }, () => s.close(() => resolve(true)));
    });
    (async () => {
      const taken = new Set();
      const items = specs.map((s) => {
        const [name, rest] = s.split("=");
        const [port, keep] = (rest || "").split(":");
        return { name, port: Number(port) || 0, keep: keep === "keep" };
      });
      for (const it of items) if (it.keep && it.port) taken.add(it.port);
      for (const it of items) {
        if (it.keep && it.port) continue;
        if (it.port && !taken.has(it.port) && (await canBind(it.port))) { taken.add(it.port); continue; }
        let found = 0;
        for (let i = 0; i < 500 && !found; i++) {
          const p = Number(min) + Math.floor(Math.random() * (Number(max) - Number(min)));
          if (!taken.has(p) && (await canBind(p))) found = p;
        }
        if (!found) { console.error("no free port found"); process.exit(1); }
        it.port = found; taken.add(found);
      }
      for (const it of items) console.log(`${it.name}=${it.port}`);
    })();
  ' "$PORT_MIN" "$PORT_MAX" "$@"
}

# ---------------------------------------------------------------------------------------------
# layout and state

set_dir() {
  [ -n "${1:-}" ] || usage
  if [ "${CREATE_DIR:-1}" = 1 ]; then
    mkdir -p "$1"
  fi
  [ -d "$1" ] || return 1
  DIR=$(cd "$1" && pwd -P)
  case $DIR in
    *[[:space:]\'\"\\]*) die "DIR must not contain spaces or quotes (the server configs cannot take them): $DIR" ;;
  esac
  NAME=$(basename "$DIR")
  PGDIR=$DIR/pg
  PGDATA=$PGDIR/data
  REDISDIR=$DIR/redis
  DOVEDIR=$DIR/dovecot
  DOVECONF=$DOVEDIR/dovecot.conf
  USERS_FILE=$DOVEDIR/users
  VMAIL=$DIR/vmail
  PFCONF=$DIR/postfix
  PFSPOOL=$DIR/postfix-spool
  PFDATA=$DIR/postfix-data
  PFLOG=$DIR/postfix.log
  PORTS_FILE=$DIR/ports.env
  STATE_FILE=$DIR/state.env
  SERVERS_ENV=$DIR/servers.env
  # PostgreSQL's socket is DIR/pg/.s.PGSQL.NNNNN and Dovecot's longest socket name is about
  # 30 characters: stay under the 107-byte limit of unix socket paths
  if [ ${#DIR} -gt 70 ]; then
    die "DIR path too long for unix sockets (${#DIR} > 70 characters): $DIR"
  fi
}

STATE_KEYS=(INSTANCE_ID MAIL_PASSWORD PG_MODE PG_ADMIN_URL PG_DBNAME REDIS_MODE REDIS_EXT_URL)
PORT_KEYS=(PG_PORT REDIS_PORT IMAP_PORT POP3_PORT LMTP_PORT SIEVE_PORT SMTP_PORT SUBMISSION_PORT)
INSTANCE_ID='' MAIL_PASSWORD='' PG_MODE='' PG_ADMIN_URL='' PG_DBNAME='' REDIS_MODE='' REDIS_EXT_URL=''
PG_PORT='' REDIS_PORT='' IMAP_PORT='' POP3_PORT='' LMTP_PORT='' SIEVE_PORT='' SMTP_PORT='' SUBMISSION_PORT=''

# read the known KEYS from a KEY=VALUE file written by env_line (no sourcing, no forks)
read_env_file() {
  local file=$1 line key value
  shift
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    if [[ $value == \'*\' ]]; then
      value=${value:1:${#value}-2}
      value=${value//\'\\\'\'/\'}
    fi
    if [[ " $* " == *" $key "* ]]; then printf -v "$key" '%s' "$value"; fi
  done <"$file"
}

load_state() {
  local k
  for k in "${STATE_KEYS[@]}" "${PORT_KEYS[@]}"; do printf -v "$k" '%s' ''; done
  read_env_file "$STATE_FILE" "${STATE_KEYS[@]}"
  read_env_file "$PORTS_FILE" "${PORT_KEYS[@]}"
}

save_state() {
  local tmp=$STATE_FILE.tmp.$$
  (
    umask 077
    {
      echo "# servers.sh internal state for this DIR (do not edit)"
      env_line INSTANCE_ID "$INSTANCE_ID"
      env_line MAIL_PASSWORD "$MAIL_PASSWORD"
      env_line PG_MODE "$PG_MODE"
      env_line PG_ADMIN_URL "$PG_ADMIN_URL"
      env_line PG_DBNAME "$PG_DBNAME"
      env_line REDIS_MODE "$REDIS_MODE"
      env_line REDIS_EXT_URL "$REDIS_EXT_URL"
    } >"$tmp"
  )
  mv -f "$tmp" "$STATE_FILE"
}

save_ports() {
  local tmp=$PORTS_FILE.tmp.$$ k
  {
    echo "# ports of the servers in this DIR (reused by the next start while free)"
    for k in "${PORT_KEYS[@]}"; do
      env_line "$k" "${!k:-}"
    done
  } >"$tmp"
  mv -f "$tmp" "$PORTS_FILE"
}

is_demo_dir() { [ "$NAME" = demo ]; }

# ---------------------------------------------------------------------------------------------
# running?

pg_running() { [ -f "$PGDATA/postmaster.pid" ] && pidfile_alive "$PGDATA/postmaster.pid" '^postgres'; }
redis_running() { pidfile_alive "$REDISDIR/redis.pid" '^redis-server'; }
dovecot_running() { pidfile_alive "$DOVEDIR/run/master.pid" '^dovecot'; }
postfix_running() { pidfile_alive "$PFSPOOL/pid/master.pid" '^master'; }

# ---------------------------------------------------------------------------------------------
# PostgreSQL

psql_admin() { # SQL... against the external server's maintenance database
  local url=${PG_ADMIN_URL%%\?*}
  psql "$url" -v ON_ERROR_STOP=1 -qAtX "$@"
}

url_with_db() {
  node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$1" "$2"
}

start_pg_external() {
  local dbname exists
  dbname=$(printf '%s' "$NAME" | tr -c 'A-Za-z0-9' '_')
  dbname=${dbname:0:51}
  dbname=emailclient_$dbname
  # created by this DIR before (and not dropped by stop): keep it, it is this DIR's data
  local ours=0
  if [ "$PG_MODE" = external ] && [ "$PG_ADMIN_URL" = "$DATABASE_URL" ] && [ "$PG_DBNAME" = "$dbname" ]; then
    ours=1
  fi
  PG_MODE=external
  PG_ADMIN_URL=$DATABASE_URL
  exists=$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'") ||
    die "cannot reach the PostgreSQL server of DATABASE_URL"
  if [ "$exists" = 1 ] && [ $ours = 0 ] && ! is_demo_dir; then
    log "dropping leftover database $dbname"
    psql_admin -c "DROP DATABASE IF EXISTS \"$dbname\" WITH (FORCE)" >/dev/null
    exists=
  fi
  if [ "$exists" != 1 ]; then
    psql_admin -c "CREATE DATABASE \"$dbname\"" >/dev/null
  fi
  PG_DBNAME=$dbname
  save_state
  DB_URL=$(url_with_db "$DATABASE_URL" "$dbname")
}

start_pg_local() {
  local bindir
  bindir=$(pg_bin_dir) || true
  [ -n "$bindir" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found"
  PG_MODE=local
  save_state
  mkdir -p "$PGDIR"
  chown postgres:postgres "$PGDIR"
  chmod 0700 "$PGDIR"
  check_traversable postgres "$PGDIR"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    rm -rf "$PGDATA"
    if ! runuser -u postgres -- "$bindir/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$PGDIR/initdb.log" 2>&1; then
      show_log "$PGDIR/initdb.log"
      die "initdb failed"
    fi
  fi
  if ! pg_running; then
    if ! runuser -u postgres -- "$bindir/pg_ctl" -D "$PGDATA" -l "$PGDIR/server.log" -w -t 60 start \
      -o "-p $PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >"$PGDIR/pg_ctl.log" 2>&1 9>&-; then
      cat "$PGDIR/pg_ctl.log" >&2
      show_log "$PGDIR/server.log"
      die "PostgreSQL did not start"
    fi
  fi
  # ours? (the server on that port must serve our data directory)
  local dd
  dd=$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtX -c 'SHOW data_directory' 2>/dev/null) || dd=
  if [ "$dd" != "$PGDATA" ]; then
    show_log "$PGDIR/server.log"
    die "PostgreSQL on 127.0.0.1:$PG_PORT is not ours (data_directory '$dd', expected '$PGDATA')"
  fi
  if [ "$(psql -h "$PGDIR" -p "$PG_PORT" -U postgres -d postgres -qAtX \
    -c "SELECT 1 FROM pg_database WHERE datname = 'emailclient'")" != 1 ]; then
    psql -h "$PGDIR" -p "$PG_PORT" -U postgres -d postgres -qAtX -c 'CREATE DATABASE emailclient' >/dev/null
  fi
  DB_URL=postgresql://postgres@127.0.0.1:$PG_PORT/emailclient
}

stop_pg() {
  local bindir
  if [ -f "$PGDATA/postmaster.pid" ] && pg_running; then
    bindir=$(pg_bin_dir) || true
    runuser -u postgres -- "$bindir/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      runuser -u postgres -- "$bindir/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ "$PG_MODE" = external ] && [ -n "$PG_DBNAME" ] && ! is_demo_dir; then
    if psql_admin -c "DROP DATABASE IF EXISTS \"$PG_DBNAME\" WITH (FORCE)" >/dev/null 2>&1; then
      PG_DBNAME=
      save_state
    else
      log "could not drop database $PG_DBNAME on the DATABASE_URL server"
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# Redis

start_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    REDIS_MODE=external
    REDIS_EXT_URL=$REDIS_URL
    save_state
    RD_URL=$REDIS_URL
    return 0
  fi
  REDIS_MODE=local
  save_state
  mkdir -p "$REDISDIR"
  if ! redis_running; then
    rm -f "$REDISDIR/redis.pid"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --maxmemory-policy noeviction --daemonize yes --pidfile "$REDISDIR/redis.pid" \
      --logfile "$REDISDIR/redis.log" --dir "$REDISDIR" >/dev/null 9>&- ||
      {
        show_log "$REDISDIR/redis.log"
        die "redis-server did not start"
      }
  fi
  local i pf=""
  for i in $(seq 1 50); do
    pf=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --raw CONFIG GET pidfile 2>/dev/null | sed -n 2p) || pf=
    [ "$pf" = "$REDISDIR/redis.pid" ] && break
    sleep 0.1
  done
  if [ "$pf" != "$REDISDIR/redis.pid" ]; then
    show_log "$REDISDIR/redis.log"
    die "Redis on 127.0.0.1:$REDIS_PORT is not ours (pidfile '$pf')"
  fi
  RD_URL=redis://127.0.0.1:$REDIS_PORT
}

stop_redis() {
  local pid
  redis_running || return 0
  pid=$(pidfile_pid "$REDISDIR/redis.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  rm -f "$REDISDIR/redis.pid"
}

# ---------------------------------------------------------------------------------------------
# Dovecot

ensure_users() {
  local u tmp
  touch "$USERS_FILE"
  chown root:dovecot "$USERS_FILE"
  chmod 0640 "$USERS_FILE"
  for u in "${DEFAULT_USERS[@]}"; do
    if ! grep -q "^$u@$MAIL_DOMAIN:" "$USERS_FILE"; then
      printf '%s:{PLAIN}%s::::::\n' "$u@$MAIL_DOMAIN" "$MAIL_PASSWORD" >>"$USERS_FILE"
    fi
  done
}

start_dovecot() {
  mkdir -p "$DOVEDIR/run" "$DOVEDIR/state" "$VMAIL"
  chown mail:mail "$VMAIL"
  chmod 0750 "$VMAIL"
  check_traversable dovecot "$DOVEDIR"
  check_traversable mail "$VMAIL"
  ensure_users
  render "$TPL_DIR/dovecot.conf.tpl" "$DOVECONF"
  if ! dovecot_running; then
    if ! dovecot -c "$DOVECONF" >"$DOVEDIR/start.log" 2>&1 9>&-; then
      cat "$DOVEDIR/start.log" >&2
      show_log "$DOVEDIR/dovecot.log"
      die "Dovecot did not start"
    fi
  fi
  local token="emailclient-$INSTANCE_ID"
  wait_greeting "Dovecot IMAP" "$IMAP_PORT" "$token" "$DOVEDIR/dovecot.log"
  wait_greeting "Dovecot POP3" "$POP3_PORT" "$token" "$DOVEDIR/dovecot.log"
  wait_greeting "Dovecot LMTP" "$LMTP_PORT" "$token" "$DOVEDIR/dovecot.log"
  wait_greeting "Dovecot ManageSieve" "$SIEVE_PORT" "$token" "$DOVEDIR/dovecot.log"
}

stop_dovecot() {
  local pid
  dovecot_running || return 0
  pid=$(pidfile_pid "$DOVEDIR/run/master.pid")
  # what `doveadm -c CONF stop` does (SIGTERM to the master), sent to the master and its
  # children at once: the master alone takes over a second to shut them down
  local pids=()
  mapfile -t pids < <(session_pids "$pid")
  kill -TERM "$pid" "${pids[@]}" 2>/dev/null || true
  reap_session "$pid" Dovecot
}

# ---------------------------------------------------------------------------------------------
# Postfix

postfix_cmd() { # run a postfix command with a pseudo terminal, so its errors reach us
  local out rc=0
  out=$(script -qec "postfix -c $(printf '%q' "$PFCONF") $*" /dev/null </dev/null 2>&1 9>&-) || rc=$?
  [ -n "$out" ] && printf '%s\n' "$out" >>"$DIR/postfix-ctl.log"
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" >&2
  fi
  return $rc
}

# Create the queue and data folders with the owners and modes Postfix wants. This is what
# `postfix check` (post-install create-missing) does, read from the same postfix-files list,
# in milliseconds instead of seconds.
postfix_create_dirs() {
  local files path type owner group mode _rest
  files=/etc/postfix/postfix-files
  if [ ! -f "$files" ]; then
    postfix_cmd post-install create-missing || {
      show_log "$PFLOG"
      die "postfix could not create its queue folders in $PFSPOOL"
    }
    return 0
  fi
  # shellcheck disable=SC2016 # the $names are literal text in postfix-files
  while IFS=: read -r path type owner group mode _rest; do
    [ "$type" = d ] || continue
    case $path in
      '$queue_directory'*) path=$PFSPOOL${path#'$queue_directory'} ;;
      '$data_directory'*) path=$PFDATA${path#'$data_directory'} ;;
      *) continue ;;
    esac
    owner=${owner//'$mail_owner'/postfix}
    group=${group//'$setgid_group'/postdrop}
    [ "$group" = - ] && group=root
    mkdir -p "$path"
    chown "$owner:$group" "$path"
    chmod "$mode" "$path"
  done <"$files"
}

start_postfix() {
  mkdir -p "$PFCONF" "$PFSPOOL" "$PFDATA"
  chown root:root "$PFSPOOL"
  chmod 0755 "$PFSPOOL"
  chown postfix:root "$PFDATA"
  chmod 0700 "$PFDATA"
  check_traversable postfix "$PFSPOOL"
  render "$TPL_DIR/postfix-main.cf.tpl" "$PFCONF/main.cf"
  render "$TPL_DIR/postfix-master.cf.tpl" "$PFCONF/master.cf"
  touch "$PFLOG"
  if ! postfix_running; then
    if [ ! -d "$PFSPOOL/maildrop" ] || [ ! -d "$PFSPOOL/pid" ]; then
      postfix_create_dirs
    fi
    # skip postfix-script's integrity scan (~0.7 s): the folders are ours and just checked
    touch "$PFSPOOL/quick-start"
    postfix_cmd start || {
      show_log "$PFLOG"
      die "Postfix did not start"
    }
  fi
  local token="emailclient-$INSTANCE_ID"
  wait_greeting "Postfix SMTP relay" "$SMTP_PORT" "$token" "$PFLOG"
  wait_greeting "Postfix submission" "$SUBMISSION_PORT" "$token" "$PFLOG"
}

stop_postfix() {
  local pid
  postfix_running || return 0
  pid=$(pidfile_pid "$PFSPOOL/pid/master.pid")
  postfix_cmd stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  reap_session "$pid" Postfix
}

# ---------------------------------------------------------------------------------------------
# commands

write_servers_env() {
  local tmp=$SERVERS_ENV.tmp.$$ users="" u
  for u in "${DEFAULT_USERS[@]}"; do users+="${users:+,}$u@$MAIL_DOMAIN"; done
  (
    umask 077
    {
      echo "# written by scripts/servers.sh start; source it or read it as KEY=VALUE lines"
      env_line DATABASE_URL "$DB_URL"
      env_line REDIS_URL "$RD_URL"
      env_line MAIL_HOST 127.0.0.1
      env_line IMAP_PORT "$IMAP_PORT"
      env_line POP3_PORT "$POP3_PORT"
      env_line LMTP_PORT "$LMTP_PORT"
      env_line SIEVE_PORT "$SIEVE_PORT"
      env_line SMTP_PORT "$SMTP_PORT"
      env_line SUBMISSION_PORT "$SUBMISSION_PORT"
      env_line MAIL_DOMAIN "$MAIL_DOMAIN"
      env_line MAIL_USERS "$users"
      env_line MAIL_PASSWORD "$MAIL_PASSWORD"
      env_line SERVERS_DIR "$DIR"
    } >"$tmp"
  )
  mv -f "$tmp" "$SERVERS_ENV"
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "start must run as root (it uses runuser and chown)"
  set_dir "$1"
  # one start at a time on this machine: package installs, port choice and binding must not
  # race another DIR. The daemons are started with fd 9 closed (9>&-), so they never hold it.
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "timed out waiting for $LOCK_FILE"
  trap 'flock -u 9 2>/dev/null || true' EXIT
  ensure_packages

  load_state
  [ -n "$INSTANCE_ID" ] || INSTANCE_ID=$(random_hex 4)
  [ -n "$MAIL_PASSWORD" ] || MAIL_PASSWORD=$(random_hex 12)
  save_state

  # ports: keep those of our running servers, reuse remembered ones while free
  local specs=() k
  add_spec() { # NAME RUNNING?
    local v=${!1:-}
    if [ "$2" = 1 ] && [ -n "$v" ]; then specs+=("$1=$v:keep"); else specs+=("$1=$v"); fi
  }
  local pgr=0 rdr=0 dvr=0 pfr=0
  pg_running && pgr=1
  redis_running && rdr=1
  dovecot_running && dvr=1
  postfix_running && pfr=1
  [ -n "${DATABASE_URL:-}" ] || add_spec PG_PORT $pgr
  [ -n "${REDIS_URL:-}" ] || add_spec REDIS_PORT $rdr
  for k in IMAP_PORT POP3_PORT LMTP_PORT SIEVE_PORT; do add_spec $k $dvr; done
  for k in SMTP_PORT SUBMISSION_PORT; do add_spec $k $pfr; done
  local line
  while IFS= read -r line; do
    printf -v "${line%%=*}" '%s' "${line#*=}"
  done < <(choose_ports "${specs[@]}")
  if [ -z "$IMAP_PORT" ] || [ -z "$SUBMISSION_PORT" ]; then die "could not choose ports"; fi
  save_ports

  DB_URL='' RD_URL=''
  if [ -n "${DATABASE_URL:-}" ]; then
    # a local cluster from an earlier run without DATABASE_URL is not needed now
    stop_pg_local_only
    start_pg_external
  else
    start_pg_local
  fi
  if [ -n "${REDIS_URL:-}" ]; then
    stop_redis
  fi
  start_redis
  start_dovecot
  start_postfix
  write_servers_env
  flock -u 9
  echo "servers ready: $SERVERS_ENV"
}

stop_pg_local_only() {
  local mode=$PG_MODE
  PG_MODE=local
  stop_pg
  PG_MODE=$mode
}

cmd_stop() {
  [ "$(id -u)" = 0 ] || die "stop must run as root"
  CREATE_DIR=0 set_dir "$1" || {
    log "nothing to stop: $1 does not exist"
    return 0
  }
  load_state
  # all four at once; each waits until its processes are gone
  local rc=0 pids=() p
  stop_postfix &
  pids+=($!)
  stop_dovecot &
  pids+=($!)
  stop_redis &
  pids+=($!)
  stop_pg &
  pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  echo "servers stopped: $DIR"
  return $rc
}

cmd_status() {
  CREATE_DIR=0 set_dir "$1" || die "$1 does not exist"
  load_state
  local all=0
  if [ "$PG_MODE" = external ]; then
    echo "postgresql: external database $PG_DBNAME"
  elif pg_running; then
    echo "postgresql: running on 127.0.0.1:$PG_PORT"
  else
    echo "postgresql: stopped"
    all=3
  fi
  if [ "$REDIS_MODE" = external ]; then
    echo "redis:      external $REDIS_EXT_URL"
  elif redis_running; then
    echo "redis:      running on 127.0.0.1:$REDIS_PORT"
  else
    echo "redis:      stopped"
    all=3
  fi
  if dovecot_running; then
    echo "dovecot:    running (imap $IMAP_PORT, pop3 $POP3_PORT, lmtp $LMTP_PORT, sieve $SIEVE_PORT)"
  else
    echo "dovecot:    stopped"
    all=3
  fi
  if postfix_running; then
    echo "postfix:    running (smtp $SMTP_PORT, submission $SUBMISSION_PORT)"
  else
    echo "postfix:    stopped"
    all=3
  fi
  [ -f "$SERVERS_ENV" ] && echo "env:        $SERVERS_ENV"
  return $all
}

cmd_add_user() {
  local email=${2:-} password=${3:-} tmp
  if [ -z "$email" ] || [ -z "$password" ]; then usage; fi
  [[ $email =~ ^[^:@[:space:]]+@[^:@[:space:]]+$ ]] || die "not an email address: $email"
  [[ $password =~ [:[:cntrl:]] ]] && die "the password must not contain ':' or control characters"
  CREATE_DIR=0 set_dir "$1" || die "$1 does not exist (run start first)"
  [ -f "$USERS_FILE" ] || die "no users file in $DIR (run start first)"
  if grep -q "^$(printf '%s' "$email" | sed 's/[.[\*^$]/\\&/g'):" "$USERS_FILE"; then
    tmp=$USERS_FILE.tmp.$$
    awk -F: -v e="$email" -v p="$password" 'BEGIN{OFS=":"} $1 == e {$2 = "{PLAIN}" p} {print}' \
      "$USERS_FILE" >"$tmp"
    chown root:dovecot "$tmp"
    chmod 0640 "$tmp"
    mv -f "$tmp" "$USERS_FILE"
    echo "updated password of $email"
  else
    printf '%s:{PLAIN}%s::::::\n' "$email" "$password" >>"$USERS_FILE"
    echo "added $email"
  fi
  # Dovecot re-reads a passwd-file when its mtime (whole seconds) changes, and looks at the
  # file at most once a second: a login in the same second as this change may not see it.
  # Give the mtime a second of its own and return only once that second is over.
  local before now
  before=$(stat -c %Y "$USERS_FILE.stamp" 2>/dev/null || echo 0)
  now=$(date +%s)
  [ "$now" -gt "$before" ] || now=$((before + 1))
  touch -m -d "@$now" "$USERS_FILE" "$USERS_FILE.stamp"
  while [ "$(date +%s)" -le "$now" ]; do sleep 0.05; done
}

case "${1:-}" in
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  add-user) cmd_add_user "${2:-}" "${3:-}" "${4:-}" ;;
  *) usage ;;
esac
