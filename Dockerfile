# syntax=docker/dockerfile:1
# One image for every blockcast service: `docker run <image> gateway|ingest|discovery|demo-chain`.
# Bookworm (glibc) rather than Alpine: uWebSockets.js ships glibc-linked native binaries.
ARG NODE_IMAGE=node:20-bookworm-slim

# Compile with the full toolchain (tsc, tsx), then assemble the runtime layout.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npm run build && npx tsx scripts/assemble-runtime.ts /runtime

# Production dependencies only, from the same lock file: no tsx, typescript or test tooling.
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY --from=build /runtime ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: the pod runs with a read-only root filesystem anyway.
COPY --from=runtime-deps /app ./
# The node image's `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# discovery, gateway, ingest; their ops ports (/healthz, /readyz, /metrics)
EXPOSE 9984 9985 9986 9987 9988 9990
ENTRYPOINT ["/app/entrypoint.sh"]
