# syntax=docker/dockerfile:1
# One image for every blockcast service: `docker run <image> gateway|ingest|discovery|demo-chain`.
# Bookworm (glibc) rather than Alpine: uWebSockets.js ships glibc-linked native binaries.
ARG NODE_IMAGE=node:20-bookworm-slim

# Compile with the full toolchain (tsc, tsx), then build the runtime layout: compiled dist,
# manifests, lock, entrypoint and `npm ci --omit=dev` (no tsx, typescript or test tooling).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN --mount=type=cache,target=/root/.npm npm run build && npx tsx scripts/assemble-runtime.ts /runtime

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="blockcast" \
      org.opencontainers.image.description="WebSocket Event Stream API for BigchainDB/Planetmint-style chains" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user; the pod mounts the root filesystem read-only anyway.
COPY --from=build /runtime ./
# The node image's `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# discovery, gateway, ingest; their ops ports (/healthz, /readyz, /metrics)
EXPOSE 9984 9985 9986 9987 9988 9990
ENTRYPOINT ["/app/entrypoint.sh"]
