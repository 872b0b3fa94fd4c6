#!/usr/bin/env bash
# Runs the suites black-box, over TCP, against the built mock in one profile:
#   suites/against-binary.sh BINARY PROFILE REPORT_DIR
# The mock listens on a free port and is stopped when the suites end.
set -euo pipefail
bin=$1 profile=$2
rm -rf "$3" && mkdir -p "$3"
reports=$(cd "$3" && pwd) # absolute: the suites run in their own folder
"$bin" --addr 127.0.0.1:0 --profile "$profile" >"$reports/mock.log" 2>&1 &
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
go tool ginkgo --no-color --junit-report=junit.xml --output-dir="$reports" ./suites -- \
  --target="$url" --profile="$profile" \
  --username=fred --password=secret --username2=vince --password2=secret2 \
  --report-dir="$reports"
