# One image for every blockcast service: `<image> ingest|gateway|discovery|demo-chain|plugins`.
# Node.js 24 LTS on Debian 13 (glibc 2.41): the uWebSockets.js binary for Node 24 is glibc-linked
# and needs glibc >= 2.38, so neither Alpine nor Debian 12. Where a registry is reachable the
# official image is the base; scripts/build-image.sh passes one built from Debian's mirror and the
# npm registry instead (same layout: node in /usr/local/bin, user `node` uid 1000).
ARG BASE_IMAGE=node:24.22.3-trixie-slim

# Compile with the full toolchain (tsc, tsx), then build the runtime layout: compiled dist,
# manifests, lock, entrypoint and `npm ci --omit=dev` (no tsx, typescript or test tooling).
# The cache mounts need BuildKit (docker build's builder since Docker 23) or buildah.
FROM ${BASE_IMAGE} AS build
# Set (with the file mounted) only where TLS passes a proxy with its own CA; unset it does nothing.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN --mount=type=cache,target=/root/.npm npm run build && npx tsx scripts/assemble-runtime.ts /runtime

# The services' suites on the image's Node.js (CI: `podman run <test image> test/gateway …`):
# the sources and dev dependencies of the build stage, plus the servers and tools those tests
# start (procps: `ps`, with which a test finds the processes a failed start left).
FROM build AS test
# Debian's current packages of the release the base pins; versions move with its security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-sentinel haproxy tini procps \
    && rm -rf /var/lib/apt/lists/*
ENV REQUIRE_REDIS=1
# tini as PID 1 reaps the processes the fault scenarios orphan (npm would leave them zombies,
# and a test waiting for a killed PID to be gone would wait forever).
ENTRYPOINT ["/usr/bin/tini", "--", "npx", "tsx", "scripts/run-tests.ts"]
CMD ["test/gateway", "test/e2e"]

FROM ${BASE_IMAGE} AS runtime
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="blockcast" \
      org.opencontainers.image.description="WebSocket Event Stream API for BigchainDB/Planetmint-style chains" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user; the pod mounts the root filesystem read-only anyway.
COPY --from=build /runtime ./
# The base image's `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# discovery, gateway, ingest; their ops ports (/healthz, /readyz, /metrics); the plugin host's
EXPOSE 9984 9985 9986 9987 9988 9990 9991
ENTRYPOINT ["/app/entrypoint.sh"]
