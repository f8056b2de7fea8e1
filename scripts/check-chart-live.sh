#!/usr/bin/env bash
# The chart on a real Kubernetes API server (CI runs it): a kwok cluster from the control-plane
# binaries scripts/k8s-binaries.sh builds (kube-apiserver, controller-manager, scheduler, etcd;
# kwok simulates the nodes, so pods turn Running without pulling or running any image). For every
# ci/*.yaml value set, in a namespace enforcing Pod Security `restricted`:
#   helm install --wait → helm upgrade --wait with a new image tag (every app Deployment rolls) →
#   helm rollback --wait → helm uninstall --wait (nothing of the release left in the namespace).
# Every rendered manifest also passes the server's strict validation (unknown fields refused).
# production: the script sets the LoadBalancer's address as a cloud controller or MetalLB would.
# monitoring: the Prometheus Operator CRDs from their Go module, then ServiceMonitor and
# PrometheusRule accepted by the server. Everything started here is stopped at exit, by PID.
# Needs helm (built by scripts/install-helm.sh), go, node with the repository's node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

chart=deploy/k8s/blockcast
operator_module=github.com/prometheus-operator/prometheus-operator
operator_version=v0.85.0
cluster=blockcast-chart
timeout=180s

log() { printf '[chart-live] %s\n' "$*"; }
fail() {
  printf '[chart-live] FAIL: %s\n' "$*" >&2
  exit 1
}

bin=$(bash scripts/k8s-binaries.sh | tail -n 1)
export PATH="$bin:$(go env GOPATH)/bin:$PATH"
helm version --short >/dev/null || fail "helm not found: bash scripts/install-helm.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/blockcast-chart-live.XXXXXX")
# kwokctl keeps its clusters, pid files and logs here, and writes the kubeconfig here, not in ~.
export KWOK_WORKDIR="$work/kwok" KUBECONFIG="$work/kubeconfig"
background_pids=()

# Every control-plane process kwokctl started has a pid file: kwokctl stops them, then any of those
# PIDs still alive is killed.
teardown() {
  local status=$? pid pidfile pids=() dir="$KWOK_WORKDIR/clusters/$cluster"
  for pid in "${background_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -d "$dir" ]; then
    for pidfile in "$dir"/pids/*.pid; do [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")"); done
    if [ $status -ne 0 ]; then
      for f in "$dir"/logs/*.log; do
        printf '\n--- %s (last 20 lines)\n' "$f" >&2
        tail -n 20 "$f" >&2
      done
    fi
    kwokctl delete cluster --name "$cluster" >/dev/null 2>&1 || true
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        sleep 1
        kill -9 "$pid" 2>/dev/null || true
      fi
    done
    log "cluster deleted, its ${#pids[@]} processes stopped"
  fi
  rm -rf "$work"
  exit $status
}
trap teardown EXIT
trap 'exit 130' INT TERM

start=$SECONDS
log "creating the kwok cluster (kube-apiserver $(kube-apiserver --version | cut -d' ' -f2))"
kwokctl create cluster --name "$cluster" --runtime binary \
  --etcd-binary "$bin/etcd" \
  --kube-apiserver-binary "$bin/kube-apiserver" \
  --kube-controller-manager-binary "$bin/kube-controller-manager" \
  --kube-scheduler-binary "$bin/kube-scheduler" \
  --kwok-controller-binary "$bin/kwok" \
  --kube-authorization --kube-admission \
  --kubeconfig "$KUBECONFIG" --timeout 120s --wait 120s >"$work/create.log" 2>&1 ||
  {
    cat "$work/create.log" >&2
    fail "kwokctl create cluster"
  }
# Fake nodes and their pods get loopback addresses: nothing ever connects to them.
kwokctl scale node --name "$cluster" --replicas 2 \
  --param '.nodeIPs=["127.0.0.10"]' --param '.podCIDRs=["127.1.0.0/24"]' >/dev/null 2>&1
kubectl wait --for=condition=Ready node --all --timeout=60s >/dev/null
server_version=$(kubectl version -o json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).serverVersion.gitVersion)')
log "cluster ready in $((SECONDS - start)) s: server $server_version, $(kubectl get nodes --no-headers | wc -l) nodes"

# The Prometheus Operator's own CRDs, from the module cache (go mod download verifies the checksum).
operator_dir=$(cd "$work" && go mod download -json "$operator_module@$operator_version" |
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -n "$operator_dir" ] || fail "go mod download $operator_module@$operator_version"
crds="$operator_dir/example/prometheus-operator-crd"
kubectl apply --server-side -f "$crds/monitoring.coreos.com_servicemonitors.yaml" \
  -f "$crds/monitoring.coreos.com_prometheusrules.yaml" >/dev/null
kubectl wait --for=condition=Established --timeout=60s \
  crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com >/dev/null
log "Prometheus Operator CRDs $operator_version installed from the Go module"

# The CRD schemas are enforced, not just registered: an invalid rule duration is refused.
kubectl create namespace crd-probe >/dev/null
if kubectl apply --dry-run=server -n crd-probe -f - >/dev/null 2>"$work/crd-probe.err" <<'EOF'; then
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: probe}
spec: {groups: [{name: g, rules: [{alert: A, expr: up == 0, for: five minutes}]}]}
EOF
  fail "the PrometheusRule CRD accepted for: 'five minutes'"
fi
grep -q 'spec.groups\[0\].rules\[0\].for' "$work/crd-probe.err" || fail "unexpected refusal: $(cat "$work/crd-probe.err")"
kubectl delete namespace crd-probe --wait=false >/dev/null

# A namespace that enforces Pod Security `restricted` at the server's own version.
restricted_namespace() {
  kubectl create namespace "$1" >/dev/null
  kubectl label namespace "$1" >/dev/null \
    pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted
}

# Enforcement is on: a pod with no securityContext is refused in such a namespace.
restricted_namespace psa-probe
if kubectl run probe -n psa-probe --image=blockcast:probe --restart=Never --dry-run=server \
  >/dev/null 2>"$work/psa-probe.err"; then
  fail "a pod without a securityContext was admitted under Pod Security restricted"
fi
grep -q 'violates PodSecurity "restricted' "$work/psa-probe.err" || fail "unexpected refusal: $(cat "$work/psa-probe.err")"
kubectl delete namespace psa-probe --wait=false >/dev/null
log "Pod Security restricted is enforced (an unconfined pod is refused)"

# Every app Deployment's image, one `<deployment> <image>` a line.
app_images() {
  kubectl get deploy -n "$1" -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component!=redis" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.template.spec.containers[0].image}{"\n"}{end}'
}

# Each app Deployment has rolled out `$2` completely: every current pod runs it, none of another.
expect_rolled_to() {
  local ns=$1 tag=$2 name image pods
  while read -r name image; do
    [ "${image##*:}" = "$tag" ] || fail "$ns/$name runs $image, expected tag $tag"
    kubectl rollout status "deploy/$name" -n "$ns" --timeout=$timeout >/dev/null
    # Pods of the old ReplicaSet may still be terminating: only the live ones count.
    pods=$(kubectl get pods -n "$ns" -l "$(selector_of "$ns" "$name")" -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{(index .spec.containers 0).image}}{{"\n"}}{{end}}{{end}}' |
      sort -u)
    [ "$pods" = "$image" ] || fail "$ns/$name pods run [$pods], expected only $image"
  done < <(app_images "$ns")
}

selector_of() {
  kubectl get deploy "$2" -n "$1" -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}' |
    sed 's/,$//'
}

# The address a cloud load-balancer controller (or MetalLB) would publish once it serves the Service.
publish_load_balancers() {
  local ns=$1 svc
  for svc in $(kubectl get svc -n "$ns" -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.name}{" "}{end}'); do
    kubectl patch svc "$svc" -n "$ns" --subresource=status --type=merge \
      -p '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.20"}]}}}' >/dev/null
    log "  $svc: LoadBalancer address published as a controller would"
  done
}

# Nothing of the release is left: only what the namespace had before the install. Pods and
# EndpointSlices go by garbage collection after helm returns, so allow it a while.
expect_empty() {
  local ns=$1 kinds left keep deadline=$((SECONDS + 120))
  kinds=$(kubectl api-resources --verbs=list --namespaced -o name | grep -v -x -e 'events' -e 'events.events.k8s.io' -e 'endpoints' | paste -sd, -)
  keep=(configmap/kube-root-ca.crt serviceaccount/default
    $(kubectl get secret -n "$ns" -l blockcast.io/provided-by=operator -o name))
  while :; do
    left=$(kubectl get "$kinds" -n "$ns" -o name | grep -v -x -F "${keep[@]/#/-e}" || true)
    [ -n "$left" ] || return 0
    [ $SECONDS -lt $deadline ] || fail "left in $ns after uninstall: $(echo "$left" | paste -sd' ' -)"
    sleep 2
  done
}

release=blockcast
sets=0
for values in "$chart"/ci/*.yaml; do
  name=$(basename "$values" .yaml)
  name=${name%-values}
  ns="ci-$name"
  set_start=$SECONDS
  log "$name"
  restricted_namespace "$ns"

  # What an operator provides first: the Secrets the value set names but the chart does not render.
  rendered="$work/$name.yaml"
  helm template "$release" "$chart" -n "$ns" -f "$values" >"$rendered"
  while read -r secret key; do
    if kubectl get secret "$secret" -n "$ns" >/dev/null 2>&1; then
      kubectl patch secret "$secret" -n "$ns" --type=merge -p "{\"stringData\":{\"$key\":\"ci-placeholder-$key\"}}" >/dev/null
    else
      kubectl create secret generic "$secret" -n "$ns" --from-literal="$key=ci-placeholder-$key" >/dev/null
      kubectl label secret "$secret" -n "$ns" blockcast.io/provided-by=operator >/dev/null
    fi
  done < <(node --import tsx scripts/chart-secret-refs.ts <"$rendered")

  # The server's strict validation of every rendered object, CRD kinds included.
  kubectl create --dry-run=server --validate=strict -n "$ns" -f "$rendered" >/dev/null

  install=(helm install "$release" "$chart" -n "$ns" -f "$values" --wait --timeout "$timeout")
  if grep -q 'type: LoadBalancer' "$rendered"; then
    # helm --wait waits for a LoadBalancer address: it is still waiting once every Deployment is
    # available, and returns once the address is published.
    "${install[@]}" >"$work/$name.install.log" 2>&1 &
    helm_pid=$!
    background_pids+=("$helm_pid")
    expected=$(grep -c '^kind: Deployment$' "$rendered")
    until [ "$(kubectl get deploy -n "$ns" -o name | wc -l)" -eq "$expected" ]; do sleep 1; done
    kubectl wait --for=condition=Available deploy --all -n "$ns" --timeout=$timeout >/dev/null
    kill -0 "$helm_pid" 2>/dev/null || fail "helm install --wait returned before the LoadBalancer had an address"
    publish_load_balancers "$ns"
    wait "$helm_pid" || fail "helm install: $(cat "$work/$name.install.log")"
  else
    "${install[@]}" >/dev/null
  fi
  first_tag=$(app_images "$ns" | sed -n '1s/.*://p')
  expect_rolled_to "$ns" "$first_tag"
  if grep -q '^kind: ServiceMonitor' "$rendered"; then
    kubectl get servicemonitor,prometheusrule -n "$ns" -o name | grep -c . | grep -qx 2 ||
      fail "ServiceMonitor and PrometheusRule not both on the server"
    log "  ServiceMonitor and PrometheusRule accepted"
  fi

  helm upgrade "$release" "$chart" -n "$ns" -f "$values" --set image.tag=ci-upgrade --wait --timeout "$timeout" >/dev/null
  expect_rolled_to "$ns" ci-upgrade
  helm rollback "$release" 1 -n "$ns" --wait --timeout "$timeout" >/dev/null
  expect_rolled_to "$ns" "$first_tag"
  deployments=$(app_images "$ns" | wc -l)
  helm uninstall "$release" -n "$ns" --wait --timeout "$timeout" >/dev/null
  expect_empty "$ns"
  kubectl delete namespace "$ns" --wait=false >/dev/null
  sets=$((sets + 1))
  log "  installed, upgraded ($deployments Deployments rolled), rolled back, uninstalled in $((SECONDS - set_start)) s"
done

log "chart live checks passed for $sets value sets on Kubernetes $server_version in $((SECONDS - start)) s"
