#!/usr/bin/env bash
# Builds the manifest tools the deploy tests run (test/deploy) from the Go module proxy into a cache folder
# outside the repository, keyed by version, and reuses them when present:
#
#   helm       <- helm.sh/helm/v3/cmd/helm
#   kustomize  <- sigs.k8s.io/kustomize/kustomize/v5
#
# Layout: ${SPILLWAY_TOOLS_CACHE:-$HOME/.cache/spillway-tools}/<tool>-<version>/bin/<tool>
# The Go build and module caches live in the same folder (go-build/, gomod/). Builds run one at a time at
# low CPU priority (the machine is shared); each build's wall time is printed and appended to
# <cache>/build-times.log. The tests find the binaries by the same layout (test/deploy/tools.ts).
#
# Usage:
#   test/deploy/install-tools.sh          build what is missing, print the binaries
#   test/deploy/install-tools.sh --print  only print the binaries (exit 1 if any is missing)
set -euo pipefail

# Keep these in step with TOOL_VERSIONS in test/deploy/tools.ts.
helm_version=v3.22.0
kustomize_version=v5.8.2

cache="${SPILLWAY_TOOLS_CACHE:-$HOME/.cache/spillway-tools}"
tools=(
  "helm $helm_version helm.sh/helm/v3/cmd/helm"
  "kustomize $kustomize_version sigs.k8s.io/kustomize/kustomize/v5"
)

missing=0
for entry in "${tools[@]}"; do
  read -r name version package <<<"$entry"
  bin="$cache/$name-$version/bin/$name"
  if [ -x "$bin" ]; then
    echo "$name: $bin"
    continue
  fi
  if [ "${1:-}" = "--print" ]; then
    echo "$name: missing ($bin)" >&2
    missing=1
    continue
  fi
  if ! command -v go >/dev/null; then
    echo "install-tools: go is not installed; cannot build $name" >&2
    exit 2
  fi
  echo "install-tools: building $name $version (go install $package@$version)"
  start=$(date +%s)
  GOBIN="$cache/$name-$version/bin" GOMODCACHE="$cache/gomod" GOCACHE="$cache/go-build" \
    GOFLAGS=-mod=mod CGO_ENABLED=0 \
    nice -n 10 go install -trimpath -ldflags="-s -w" "$package@$version"
  seconds=$(($(date +%s) - start))
  echo "install-tools: built $name $version in ${seconds}s"
  echo "$(date -u +%FT%TZ) $name $version ${seconds}s" >>"$cache/build-times.log"
  echo "$name: $bin"
done
exit "$missing"
