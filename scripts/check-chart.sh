#!/usr/bin/env bash
# Chart checks (CI runs them; needs helm and kubernetes-validate, which .ci/run installs):
# helm lint and helm template for the defaults and every ci/*.yaml value set, then every rendered
# manifest validated offline against the Kubernetes JSON schemas that kubernetes-validate ships
# in its package (strict: unknown fields fail), for the oldest and newest Kubernetes it knows.
# Prometheus Operator kinds (ServiceMonitor, PrometheusRule) have no schema there: reported as
# WARN and checked by test/deploy/chart-rendering.test.ts instead.
set -euo pipefail
cd "$(dirname "$0")/.."

chart=deploy/k8s/blockcast
# One fixed Kubernetes version, whatever helm's default (a plain `go install` of helm has v1.20.0).
render_version=1.30.0
validate_versions=(-k 1.25.0 -k 1.37.0)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for values in default "$chart"/ci/*.yaml; do
  args=(--kube-version "$render_version")
  [ "$values" = default ] || args+=(-f "$values")
  name=$(basename "$values" .yaml)
  echo "-- $name"
  helm lint --strict "$chart" "${args[@]}"
  helm template blockcast "$chart" --namespace blockcast "${args[@]}" >"$out/$name.yaml"
  kubernetes-validate --strict --quiet "${validate_versions[@]}" "$out/$name.yaml"
done
echo "chart checks passed for $(ls "$out" | wc -l) value sets"
