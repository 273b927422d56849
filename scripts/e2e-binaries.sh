#!/usr/bin/env bash
# Builds the binaries the end-to-end tests run (test/e2e) from the Go module proxy into a cache folder
# outside the repository, keyed by version, and reuses them when present:
#
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  <- k8s.io/kubernetes (test/e2e/tools/go.mod)
#   kwok                                                              <- sigs.k8s.io/kwok  (test/e2e/tools/kwok/go.mod)
#   etcd                                                              <- go.etcd.io/etcd/server/v3 (test/e2e/tools/etcd/go.mod)
#
# plus KWOK's stock Stage manifests (node and pod lifecycles) copied from the same kwok module, because the
# kwok binary has no built-in stages (kwokctl normally writes them into its config).
#
# Layout: ${SPILLWAY_E2E_CACHE:-$HOME/.cache/spillway-e2e}/<component>-<version>/bin/<binary>
# The Go build and module caches live in the same folder (go-build/, gomod/).
#
# Binaries are built one at a time at low CPU priority (the machine is shared); each build's wall time is
# printed and appended to <cache>/build-times.log. Usage:
#
#   scripts/e2e-binaries.sh          build what is missing, print the bin folders
#   scripts/e2e-binaries.sh --print  only print the bin folders (exit 1 if any binary is missing)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
tools="$repo/test/e2e/tools"
cache="${SPILLWAY_E2E_CACHE:-$HOME/.cache/spillway-e2e}"

# The version a go.mod requires for a module, e.g. `required_version test/e2e/tools/go.mod k8s.io/kubernetes`.
required_version() {
  awk -v mod="$2" '($1 == "require" && $2 == mod) { print $3 } ($1 == mod && $2 ~ /^v/) { print $2 }' "$1" | head -n 1
}

k8s_version="$(required_version "$tools/go.mod" k8s.io/kubernetes)"
kwok_version="$(required_version "$tools/kwok/go.mod" sigs.k8s.io/kwok)"
etcd_version="$(required_version "$tools/etcd/go.mod" go.etcd.io/etcd/server/v3)"
for pair in "k8s.io/kubernetes:$k8s_version" "sigs.k8s.io/kwok:$kwok_version" "go.etcd.io/etcd/server/v3:$etcd_version"; do
  if [ -z "${pair#*:}" ]; then
    echo "e2e-binaries: no version for ${pair%%:*} found in $tools" >&2
    exit 2
  fi
done

k8s_bin="$cache/kubernetes-$k8s_version/bin"
kwok_bin="$cache/kwok-$kwok_version/bin"
kwok_stages="$cache/kwok-$kwok_version/stages"
etcd_bin="$cache/etcd-$etcd_version/bin"

print_dirs() {
  echo "kubernetes: $k8s_bin"
  echo "kwok:       $kwok_bin"
  echo "kwok-stages: $kwok_stages"
  echo "etcd:       $etcd_bin"
}

# The stages the harness hands KWOK (KWOK_STAGE_FILES in test/e2e/lib/binaries.ts), as paths inside the
# kwok module: nodes become Ready and keep a Lease; pods become Running and Ready, complete, and are deleted.
kwok_stage_sources=(
  kustomize/stage/node/fast/node-initialize.yaml
  kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  kustomize/stage/pod/fast/pod-ready.yaml
  kustomize/stage/pod/fast/pod-complete.yaml
  kustomize/stage/pod/fast/pod-delete.yaml
)

if [ "${1:-}" = "--print" ]; then
  print_dirs
  for f in "$k8s_bin"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl} "$kwok_bin/kwok" "$etcd_bin/etcd"; do
    [ -x "$f" ] || { echo "e2e-binaries: missing $f (run scripts/e2e-binaries.sh)" >&2; exit 1; }
  done
  for src in "${kwok_stage_sources[@]}"; do
    f="$kwok_stages/$(basename "$src")"
    [ -f "$f" ] || { echo "e2e-binaries: missing $f (run scripts/e2e-binaries.sh)" >&2; exit 1; }
  done
  exit 0
fi

command -v go >/dev/null || { echo "e2e-binaries: go is not installed" >&2; exit 2; }

export GOCACHE="$cache/go-build"
export GOMODCACHE="$cache/gomod"
# -mod=mod lets go fill in go.sum from the proxy (checked against sum.golang.org through the proxy);
# -modcacherw keeps the module cache removable with rm -rf; GOTOOLCHAIN=local fails clearly instead of
# downloading another Go toolchain.
export GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
mkdir -p "$cache" "$k8s_bin" "$kwok_bin" "$kwok_stages" "$etcd_bin"

build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# build <module dir> <package> <output file> [extra -ldflags]
build() {
  local moddir="$1" pkg="$2" out="$3" extra="${4:-}"
  local name
  name="$(basename "$out")"
  if [ -x "$out" ]; then
    echo "e2e-binaries: reusing $out"
    return
  fi
  echo "e2e-binaries: building $name from $pkg ..."
  local start end
  start="$(date +%s)"
  # Build to a temporary name so an interrupted build never leaves a binary that looks finished.
  (cd "$moddir" && nice -n 10 go build -trimpath -ldflags="-s -w $extra" -o "$out.partial" "$pkg")
  mv "$out.partial" "$out"
  end="$(date +%s)"
  echo "e2e-binaries: built $name in $((end - start))s"
  printf '%s\t%s\t%s\t%ss\n' "$build_date" "$name" "$pkg" "$((end - start))" >>"$cache/build-times.log"
}

# The version stamps Kubernetes' own build (hack/lib/version.sh) sets, so `kubectl version` and the
# API server's /version report the release rather than v0.0.0-master.
k8s_minor="${k8s_version#v1.}"
k8s_minor="${k8s_minor%%.*}"
k8s_ldflags=""
for pkgpath in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkgpath.gitVersion=$k8s_version -X $pkgpath.gitMajor=1 -X $pkgpath.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkgpath.gitTreeState=clean -X $pkgpath.buildDate=$build_date"
done

build "$tools/etcd" go.etcd.io/etcd/server/v3 "$etcd_bin/etcd" \
  "-X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version"
# KWOK's module already carries its version (sigs.k8s.io/kwok/pkg/consts.Version).
build "$tools/kwok" sigs.k8s.io/kwok/cmd/kwok "$kwok_bin/kwok"
kwok_module="$(cd "$tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
for src in "${kwok_stage_sources[@]}"; do
  install -m 0644 "$kwok_module/$src" "$kwok_stages/$(basename "$src")"
done

for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  build "$tools" "k8s.io/kubernetes/cmd/$cmd" "$k8s_bin/$cmd" "$k8s_ldflags"
done

print_dirs
