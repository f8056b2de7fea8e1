#!/usr/bin/env bash
# Builds helm with `go install` into $(go env GOPATH)/bin, as helm's own release build does:
# with its version and the Kubernetes version of the client-go it is built with stamped in. A plain
# `go install` leaves helm's default Kubernetes at v1.20.0, so `helm template` without
# --kube-version refuses this chart (kubeVersion >=1.25.0-0). Skipped when that helm is there.
set -euo pipefail

HELM_VERSION=v3.22.0
helm="$(go env GOPATH)/bin/helm"

if [ -x "$helm" ] && [ "$("$helm" version --template '{{.Version}}')" = "$HELM_VERSION" ]; then
  exit 0
fi
# The Kubernetes minor helm's release build stamps in: that of the client-go it requires.
mod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
client_go=$(sed -n 's#^\tk8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$mod")
[ -n "$client_go" ] || {
  echo "install-helm: no k8s.io/client-go in $mod" >&2
  exit 1
}
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$client_go"
done
nice -n 10 go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
