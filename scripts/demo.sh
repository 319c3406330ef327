#!/usr/bin/env bash
# npm run demo: the whole product on this machine, no Docker. Servers and data live in
# .data/demo and are reused by the next run. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# --check: bring everything up, log in as the demo user over HTTP, check the demo mailboxes
# are there, then stop (used by the test suite). DEMO_DIR moves the demo's data elsewhere.
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1
DIR=${DEMO_DIR:-$ROOT/.data/demo}
DEMO_EMAIL=demo@example.test
DEMO_PASSWORD=demo-password-2026
mkdir -p "$DIR"

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  say "stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  bash scripts/servers.sh stop "$DIR" >/dev/null 2>&1 || true
  echo "stopped; data kept in .data/demo (delete the folder to start afresh)"
}
trap stop INT TERM EXIT

say "starting PostgreSQL, Redis, Dovecot and Postfix in .data/demo"
bash scripts/servers.sh start "$DIR"
set -a
# shellcheck disable=SC1091
. "$DIR/servers.env"
set +a
export SERVERS_ENV=$DIR/servers.env

# Settings of this demo install, made once and kept: a real random encryption key, a port.
if [ ! -f "$DIR/app.env" ]; then
  port=3000
  [ "$CHECK" = 1 ] && port=0
  if [ "$port" = 0 ] || ! node -e "const s=require('net').createServer();s.once('error',()=>process.exit(1));s.listen($port,'127.0.0.1',()=>s.close())"; then
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  fi
  cat >"$DIR/app.env" <<ENV
PORT=$port
ENCRYPTION_KEY=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")
QUEUE_PREFIX=emailclient-demo
ENV
fi
set -a
# shellcheck disable=SC1091
. "$DIR/app.env"
set +a
if ! node -e "const s=require('net').createServer();s.once('error',()=>process.exit(1));s.listen($PORT,'127.0.0.1',()=>s.close())"; then
  echo "Port $PORT is taken by another program. Free it, or delete .data/demo/app.env to pick another port." >&2
  exit 1
fi
export NODE_ENV=production ORIGIN="http://localhost:$PORT" HOST=127.0.0.1 LOG_LEVEL=${LOG_LEVEL:-info} ALLOW_SIGNUP=false

say "database migrations"
npx prisma generate >/dev/null 2>&1
npx prisma migrate deploy >"$DIR/migrate.log" 2>&1 || {
  cat "$DIR/migrate.log"
  exit 1
}
npx prisma migrate status 2>/dev/null | grep -q 'Database schema is up to date'

if [ ! -f build/index.js ] || [ -n "$(find src static svelte.config.js vite.config.ts package-lock.json -newer build/index.js -print -quit)" ]; then
  say "building the app"
  npm run -s build >"$DIR/build.log" 2>&1 || {
    tail -30 "$DIR/build.log"
    exit 1
  }
fi

say "demo mailboxes and login"
npx tsx scripts/seed-demo-mail.ts
npx tsx scripts/demo-user.ts "$DEMO_EMAIL" "$DEMO_PASSWORD"

say "starting the app and the worker (logs in .data/demo/*.log)"
node scripts/start-app.js >>"$DIR/app.log" 2>&1 &
pids+=($!)
node --import tsx worker/main.ts >>"$DIR/worker.log" 2>&1 &
pids+=($!)

healthy() { node -e "fetch('http://127.0.0.1:$PORT/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; }
for _ in $(seq 1 60); do
  if healthy; then break; fi
  sleep 0.5
done
healthy || {
  echo "the app did not become healthy; last log lines:" >&2
  tail -20 "$DIR/app.log" >&2
  exit 1
}

if [ "$CHECK" = 1 ]; then
  say "checking the demo login"
  DEMO_EMAIL=$DEMO_EMAIL DEMO_PASSWORD=$DEMO_PASSWORD node scripts/demo-check.mjs "http://localhost:$PORT"
  exit $?
fi

cat <<MSG

  MetaBuilder Email Client is running.

    URL:       http://localhost:$PORT
    Login:     $DEMO_EMAIL
    Password:  $DEMO_PASSWORD

  Demo mailboxes on the bundled Dovecot/Postfix (any IMAP client works too):
    ${MAIL_USERS//,/, }   password: $MAIL_PASSWORD
    IMAP 127.0.0.1:$IMAP_PORT   SMTP submission 127.0.0.1:$SUBMISSION_PORT (no TLS, local only)

  Health: http://localhost:$PORT/health      Ctrl-C stops everything.

MSG
wait -n "${pids[@]}" || true
echo "a process exited; see .data/demo/app.log and .data/demo/worker.log" >&2
