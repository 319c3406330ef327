#!/usr/bin/env bash
# npm run bench: every benchmark suite (bench/*.ts) against project-local servers; each prints
# its figures and writes bench/results/<suite>.json. bench/tools/ holds tools for investigating
# (run by hand, against `npm run demo`), not suites.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
DIR=$ROOT/.data/bench-$$
trap 'bash scripts/servers.sh stop "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
bash scripts/servers.sh start "$DIR"
set -a
# shellcheck disable=SC1091
. "$DIR/servers.env"
set +a
export NODE_ENV=test LOG_LEVEL=warn QUEUE_PREFIX=ecbench$$
npx prisma generate >/dev/null
npx prisma migrate deploy >/dev/null
mkdir -p bench/results
for suite in bench/*.ts; do
  echo "== $suite"
  npx tsx "$suite"
done
