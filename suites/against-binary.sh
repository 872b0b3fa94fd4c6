#!/usr/bin/env bash
# Runs the suites' binary black-box, over TCP, against the built mock in one
# profile:
#   suites/against-binary.sh MOCK SUITES PROFILE REPORT_DIR
# SUITES is bin/spacedog-conformance (make conformance-bin). The mock listens
# on a free port and is stopped when the suites end.
set -euo pipefail
mock=$1 suites=$2 profile=$3
rm -rf "$4" && mkdir -p "$4"
reports=$(cd "$4" && pwd)
"$mock" --addr 127.0.0.1:0 --profile "$profile" >"$reports/mock.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^spacedog-mock serving on //p' "$reports/mock.log")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "the mock did not start:" >&2
  cat "$reports/mock.log" >&2
  exit 1
fi
echo "suites ($profile) against $url"
"$suites" --ginkgo.no-color --ginkgo.junit-report="$reports/junit.xml" \
  --target="$url" --profile="$profile" \
  --username=fred --password=secret --username2=vince --password2=secret2 \
  --report-dir="$reports"
