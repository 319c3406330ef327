# The emailclient image: one image for the web app (default command) and the worker
# (docker-compose.yml runs it with the worker command). Build context: the repository root.
#
#   docker build -f docker/app.Dockerfile -t emailclient-app .

# ── base: Node 20 on Debian bookworm, plus OpenSSL (Prisma detects libssl through it to pick
#    the right native schema engine) and CA certificates.
FROM node:20-bookworm-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# ── build: install every dependency from the lockfile, generate the Prisma client, build.
FROM base AS build
COPY package.json package-lock.json ./
# The "prepare" script (svelte-kit sync) cannot work before the sources are copied; it is
# written to tolerate that. Prisma's postinstall downloads the native schema engine here.
RUN npm ci --no-audit --no-fund
COPY . .
# `npm run build` is svelte-kit sync + prisma generate + vite build; the explicit generate
# keeps the Prisma client step visible in the build log.
RUN npx prisma generate \
 && npm run build

# ── runtime
FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CHECKPOINT_DISABLE=1
# node_modules is kept whole, dev dependencies included, on purpose: at start the app runs
# `prisma migrate deploy` (the `prisma` CLI is a devDependency) and the worker runs TypeScript
# through tsx. `npm prune --omit=dev` would remove the Prisma CLI and its schema engine.
COPY --from=build /app/node_modules ./node_modules
# The app: adapter-node output, plus what scripts/start-app.js needs for migrations.
COPY --from=build /app/build ./build
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/tools ./tools
# The worker: its sources, the server library it imports (src/lib/server) and the generated
# Prisma client (src/generated). All of src/ is copied: it is small, and the worker may
# import more of it later.
COPY --from=build /app/worker ./worker
COPY --from=build /app/src ./src
COPY --from=build /app/package.json /app/package-lock.json /app/prisma.config.ts \
     /app/tsconfig.json /app/tsconfig.worker.json ./
# Everything stays owned by root and read-only for the process, which runs as `node`, except
# node_modules/.cache, where the Prisma CLI caches its compiled prisma.config.ts (jiti).
RUN mkdir -p node_modules/.cache \
 && chown -R node:node node_modules/.cache
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Applies pending migrations (AUTO_RUN_MIGRATIONS=true, under an advisory lock), then serves.
CMD ["node", "scripts/start-app.js"]
