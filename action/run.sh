#!/usr/bin/env bash
# The step of the GitHub Action (action.yml at the repository's root): run
# spacedog-conformance against a backend, write the job's summary, and
# fail the step when the backend breaks a MUST rule. Runnable by hand with
# the variables action.yml sets:
#
#   INPUT_TARGET=http://localhost:8080 INPUT_REPORT_DIR=reports action/run.sh
#
# INPUT_TARGET       base URL of the server under test (required)
# INPUT_PROFILE      wire profile, doc or spacedog-2016 (default doc)
# INPUT_USERNAME, INPUT_PASSWORD, INPUT_USERNAME2, INPUT_PASSWORD2
#                    Basic credentials: passed as variables, never as flags
# INPUT_STRICT       true: SHOULD rules fail the step too
# INPUT_REPORT_DIR   folder for conformance.md, results.json, conformance.html
#                    and junit.xml (default conformance-report)
# INPUT_ARGS         more flags, split on spaces (--ginkgo.label-filter=ORD-1)
# INPUT_BINARY       a spacedog-conformance already on the runner; else
# INPUT_VERSION      the release to download (default: the action's ref when
#                    it is a release tag); else the suites are built from the
#                    action's source (ACTION_PATH), which needs Go.
# GITHUB_STEP_SUMMARY, GITHUB_OUTPUT: as GitHub sets them, when set.
set -euo pipefail

: "${INPUT_TARGET:?the target input is required: the base URL of the server under test}"
report_dir=${INPUT_REPORT_DIR:-conformance-report}
work=${RUNNER_TEMP:-${TMPDIR:-/tmp}}

# install prints the path of a spacedog-conformance for this runner.
install() {
  if [ -n "${INPUT_BINARY:-}" ]; then
    echo "$INPUT_BINARY"
    return
  fi
  local version=${INPUT_VERSION:-${ACTION_REF:-}}
  if [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    download "$version"
    return
  fi
  if ! command -v go >/dev/null; then
    echo "::error title=spacedog-conformance::the action's ref ($version) is not a release: building the suites needs Go (actions/setup-go), or give the version input" >&2
    exit 2
  fi
  local bin="$work/spacedog-conformance-src/spacedog-conformance"
  echo "building the suites from ${ACTION_PATH:?ACTION_PATH, the folder of the action, is not set} ($version)" >&2
  (cd "$ACTION_PATH" && CGO_ENABLED=0 go test -c -o "$bin" ./suites) >&2
  echo "$bin"
}

# download fetches a release's archive for this runner, checks it against
# the release's SHA256SUMS and prints the binary's path.
download() {
  local version=$1 os arch
  case "${RUNNER_OS:-$(uname -s)}" in
    Linux) os=linux ;; macOS | Darwin) os=darwin ;;
    *) echo "::error title=spacedog-conformance::no release archive for ${RUNNER_OS:-$(uname -s)} runners in this action: give the binary input" >&2; exit 2 ;;
  esac
  case "${RUNNER_ARCH:-$(uname -m)}" in
    X64 | x86_64) arch=amd64 ;; ARM64 | arm64 | aarch64) arch=arm64 ;;
    *) echo "::error title=spacedog-conformance::no release archive for ${RUNNER_ARCH:-$(uname -m)}" >&2; exit 2 ;;
  esac
  local name="spacedog-batchkit_${version}_${os}_${arch}"
  local base="${GITHUB_SERVER_URL:-https://github.com}/${ACTION_REPOSITORY:-spacedog-oss/batchkit}/releases/download/$version"
  local dir="$work/spacedog-conformance-$version"
  mkdir -p "$dir"
  echo "downloading $name.tar.gz" >&2
  curl -fsSL --retry 3 -o "$dir/$name.tar.gz" "$base/$name.tar.gz"
  curl -fsSL --retry 3 -o "$dir/SHA256SUMS" "$base/SHA256SUMS"
  if command -v sha256sum >/dev/null; then
    (cd "$dir" && grep " $name.tar.gz\$" SHA256SUMS | sha256sum -c -) >&2
  else
    (cd "$dir" && grep " $name.tar.gz\$" SHA256SUMS | shasum -a 256 -c -) >&2
  fi
  tar -xzf "$dir/$name.tar.gz" -C "$dir"
  echo "$dir/$name/spacedog-conformance"
}

bin=$(install)
mkdir -p "$report_dir"
args=(--target="$INPUT_TARGET" --profile="${INPUT_PROFILE:-doc}" --report-dir="$report_dir"
  --ginkgo.no-color --ginkgo.junit-report="$report_dir/junit.xml")
if [ "${INPUT_STRICT:-false}" = true ]; then
  args+=(--strict)
fi
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<<"$INPUT_ARGS"
  args+=("${extra[@]}")
fi
# Credentials as variables: the command line shows in process lists and logs.
export SPACEDOG_USERNAME=${INPUT_USERNAME:-} SPACEDOG_PASSWORD=${INPUT_PASSWORD:-}
export SPACEDOG_USERNAME2=${INPUT_USERNAME2:-} SPACEDOG_PASSWORD2=${INPUT_PASSWORD2:-}

status=0
"$bin" "${args[@]}" || status=$?
passed=false
if [ "$status" -eq 0 ]; then passed=true; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "passed=$passed"; echo "report-dir=$report_dir"; } >>"$GITHUB_OUTPUT"
fi
if [ "$status" -ne 0 ]; then
  echo "::error title=SpaceDog conformance::$INPUT_TARGET does not conform (exit status $status): the job summary and $report_dir/conformance.md say which rules fail"
fi
exit "$status"
