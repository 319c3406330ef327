#!/usr/bin/env bash
# npm test: from a fresh clone, install what is missing, start project-local servers
# (PostgreSQL, Redis, Dovecot, Postfix), and run every tier: type check, lint, unit,
# build, integration, end-to-end. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/test-results
rm -rf "$OUT" && mkdir -p "$OUT"
STEPS=$OUT/steps.txt
: >"$STEPS"
started=$(date +%s)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# step NAME CMD...: runs a step that has no test count of its own; records pass/fail.
step() {
  local name=$1
  shift
  say "$name"
  local t0=$SECONDS
  if "$@"; then echo "pass $name" >>"$STEPS"; else echo "fail $name" >>"$STEPS"; fi
  echo "($name: $((SECONDS - t0)) s)"
}

# 1. Debian packages the tests need (the mail servers are installed by scripts/servers.sh)
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" || exit 1
  else
    echo "missing: ${need[*]}; install them (apt-get install ${need[*]}) or run npm test as root" >&2
    exit 1
  fi
fi

# 2. Node dependencies
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund || exit 1
fi

# 3. Servers, in a scratch folder of this run, stopped whatever happens
DIR=$ROOT/.data/test-$$
say "starting test servers in $DIR"
cleanup() {
  bash scripts/servers.sh stop "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bash scripts/servers.sh start "$DIR" || exit 1
set -a
# shellcheck disable=SC1091
. "$DIR/servers.env"
set +a
export SERVERS_ENV=$DIR/servers.env NODE_ENV=test QUEUE_PREFIX=ectest$$ LOG_LEVEL=${LOG_LEVEL:-info}

# 4. Schema: generate the client, apply migrations, and make sure they really applied
schema() {
  npx prisma generate >/dev/null &&
    npx prisma migrate deploy &&
    npx prisma migrate status | tee "$OUT/migrate-status.txt" &&
    grep -q 'Database schema is up to date' "$OUT/migrate-status.txt"
}
step "database migrations" schema

# 5. The tiers
step "type check (svelte-check + tsc)" npm run -s check
step "lint (prettier + eslint)" npm run -s lint

say "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$OUT/unit.json"

step "build" npm run -s build

say "integration tests"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$OUT/integration.json"

say "end-to-end tests (Playwright, Debian's Chromium)"
E2E_PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export E2E_PORT
npx playwright test

say "summary ($(($(date +%s) - started)) s)"
node scripts/test-summary.mjs "$OUT"
