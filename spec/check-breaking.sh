#!/usr/bin/env bash
# Fails when a profile's document breaks its clients between a git ref and the
# working tree, and prints oasdiff's findings:
#   spec/check-breaking.sh [BASE [OASDIFF_FLAGS...]]     (BASE: HEAD)
# Both trees are rendered by the working tree's spec-render: BASE's patch
# files are merged by today's code. oasdiff runs in the module's root, so it
# reads the .oasdiff.yaml there, if any (err-ignore: breaks accepted).
# oasdiff is a tool of the module in tools/ci, not of the kit's own module,
# whose importers would otherwise inherit its requirements.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD}
shift || true
if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "spec-check: $base is not a commit" >&2
  exit 2
fi
if ! git cat-file -e "$base:spec/openapi.yaml" 2>/dev/null; then
  echo "spec-check: $base has no spec/openapi.yaml: nothing to compare"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git archive "$base" spec | tar -x -C "$tmp/src"
go build -o "$tmp/spec-render" ./spec/cmd/spec-render
"$tmp/spec-render" "$tmp/src/spec" "$tmp/base"
"$tmp/spec-render" spec "$tmp/worktree"
status=0
for f in "$tmp"/base/*.yaml; do
  profile=$(basename "$f" .yaml)
  if [ ! -f "$tmp/worktree/$profile.yaml" ]; then
    echo "spec-check: the $profile profile is gone: its clients break"
    status=1
    continue
  fi
  echo "spec-check: the $profile profile, $base against the working tree"
  go tool -modfile=tools/ci/go.mod oasdiff breaking --fail-on ERR "$@" "$f" "$tmp/worktree/$profile.yaml" || status=1
done
for f in "$tmp"/worktree/*.yaml; do
  profile=$(basename "$f" .yaml)
  [ -f "$tmp/base/$profile.yaml" ] || echo "spec-check: the $profile profile is new: nothing to compare"
done
exit "$status"
