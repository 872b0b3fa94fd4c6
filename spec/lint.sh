#!/usr/bin/env bash
# Lints the documents the mock serves, as other tools read them:
#   spec/lint.sh
# Both profiles' documents are rendered by spec-render, then Redocly CLI
# lints them with spec/redocly.yaml (its recommended rules; any error or
# warning fails), and Dredd compiles its transactions from each (a document
# it refuses fails). The tools are npm packages of pinned versions,
# installed once into bin/npm; REDOCLY and DREDD name other commands.
set -euo pipefail
cd "$(dirname "$0")/.."
REDOCLY_VERSION=${REDOCLY_VERSION:-2.77.0}
DREDD_VERSION=${DREDD_VERSION:-14.1.0}
prefix=bin/npm
if [ -z "${REDOCLY:-}" ] || [ -z "${DREDD:-}" ]; then
  want="@redocly/cli@$REDOCLY_VERSION dredd@$DREDD_VERSION"
  if [ "$(cat "$prefix/installed" 2>/dev/null)" != "$want" ]; then
    echo "lint-spec: installing $want into $prefix"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    # shellcheck disable=SC2086 # two package specs
    npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error $want >/dev/null
    echo "$want" >"$prefix/installed"
  fi
fi
REDOCLY=${REDOCLY:-$prefix/node_modules/.bin/redocly}
DREDD=${DREDD:-$prefix/node_modules/.bin/dredd}
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./spec/cmd/spec-render spec "$tmp"
status=0
for f in "$tmp"/*.yaml; do
  profile=$(basename "$f" .yaml)
  echo "lint-spec: the $profile profile's document, by Redocly CLI $REDOCLY_VERSION"
  if ! out=$("$REDOCLY" lint --config spec/redocly.yaml --format stylish "$f" 2>&1); then
    status=1
  fi
  printf '%s\n' "$out" | grep -Ev '^ *(║|╔|╚)|^\s*$' || true
  # Redocly exits 0 on warnings: a warning spec/redocly.yaml does not
  # justify is a failure too.
  if printf '%s\n' "$out" | grep -Eq '^ *[0-9]+:[0-9]+ +warning '; then
    echo "lint-spec: the $profile profile's document has warnings (spec/redocly.yaml says which rules are changed, and why)"
    status=1
  fi
  echo "lint-spec: the $profile profile's document, by Dredd $DREDD_VERSION (dry run: transactions compiled, none sent)"
  # Dredd needs a server to name; a dry run never calls it.
  if ! out=$("$DREDD" "$f" http://127.0.0.1:9 --dry-run --loglevel=error 2>&1); then
    printf '%s\n' "$out"
    echo "lint-spec: Dredd refuses the $profile profile's document"
    status=1
  fi
done
exit "$status"
