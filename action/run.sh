#!/usr/bin/env bash
# The step of the GitHub Action (action.yml at the repository's root): run
# spacedog-conformance against a backend, write the job's summary, and
# fail the step when the backend breaks a MUST rule. Runnable by hand with
# the variables action.yml sets:
#
#   INPUT_TARGET=http://localhost:8080 INPUT_REPORT_DIR=reports action/run.sh
#
# INPUT_<SETTING>    each setting of the suites, by its flag's name in
#                    capitals (INPUT_MAX_BATCH for --max-batch): given to the
#                    suites as its variable, SPACEDOG_<SETTING>, when not
#                    empty; INPUT_TARGET is required. Credentials so reach
#                    the suites as variables, never on a command line.
# INPUT_REPORT_DIR   folder for conformance.md, results.json, conformance.html
#                    and junit.xml (default conformance-report)
# INPUT_ARGS         more arguments, one a line (--ginkgo.label-filter=ORD-1)
# INPUT_ARTIFACT_NAME  the report's artifact; by default one of the job's
#                    own, which differs with the inputs, the runner and the
#                    job of a matrix (JOB_INDEX, JOB_MATRIX)
# INPUT_BINARY       a spacedog-conformance already on the runner; else
# INPUT_VERSION      the release to download (default: the action's ref): a
#                    release tag (v1.2.0), or a major or minor one (v1, v1.2)
#                    for the newest release under it; at another ref the
#                    suites are built from the action's source (ACTION_PATH),
#                    which needs Go.
# JOB_INDEX, JOB_MATRIX  strategy.job-index and the matrix as JSON, which
#                    action.yml sets: jobs of a matrix whose inputs are the
#                    same still name their artifacts apart
# GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_JOB, GITHUB_API_URL,
# GITHUB_SERVER_URL, GITHUB_TOKEN, RUNNER_OS, RUNNER_ARCH: as GitHub sets them.
# GITHUB_TOKEN lists the releases, and is unset before anything is built
# or run.
set -euo pipefail

: "${INPUT_TARGET:?the target input is required: the base URL of the server under test}"
report_dir=${INPUT_REPORT_DIR:-conformance-report}
work=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
repository=${ACTION_REPOSITORY:-spacedog-oss/batchkit}

# The action's own inputs; every other INPUT_ variable is a setting.
own=" INPUT_ARGS INPUT_VERSION INPUT_BINARY INPUT_REPORT_DIR INPUT_UPLOAD_REPORT INPUT_ARTIFACT_NAME "

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# target_host is the target's host[:port], without the user info a URL
# may carry: credentials never reach a name or a log line.
target_host() {
  local host=${INPUT_TARGET#*://}
  host=${host%%/*}
  echo "${host##*@}"
}

# artifact_name is the report's artifact: the input, else the job's name
# and its index in a matrix, with the profile, the target's host and a
# digest of the inputs, the matrix and the runner, so that each job of a
# matrix has one of its own, even where the inputs are the same.
artifact_name() {
  if [ -n "${INPUT_ARTIFACT_NAME:-}" ]; then
    echo "$INPUT_ARTIFACT_NAME"
    return
  fi
  local digest
  digest=$(
    for v in ${!INPUT_@}; do
      case $v in INPUT_PASSWORD | INPUT_PASSWORD2) continue ;; esac
      printf '%s=%s\n' "$v" "${!v}"
    done
    echo "${RUNNER_OS:-} ${RUNNER_ARCH:-} ${JOB_INDEX:-} ${JOB_MATRIX:-}"
  )
  digest=$(printf '%s' "$digest" | sha256 | cut -c1-8)
  echo "spacedog-conformance-${GITHUB_JOB:-job}-${JOB_INDEX:-0}-${INPUT_PROFILE:-doc}-$(target_host)-${digest}" | tr -c 'A-Za-z0-9._\n-' '-'
}

# newest prints the newest release vX.Y.Z under a major or minor tag (v1,
# v1.2), from the repository's releases.
newest() {
  local want=$1 api=${GITHUB_API_URL:-https://api.github.com} releases
  local auth=()
  if [ -n "${GITHUB_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $GITHUB_TOKEN"); fi
  releases=$(curl -fsSL --retry 3 ${auth[@]+"${auth[@]}"} "$api/repos/$repository/releases?per_page=100") || {
    echo "::error title=spacedog-conformance::cannot list the releases of $repository to find the newest $want" >&2
    exit 2
  }
  # v1 takes v1.X.Y, v1.2 takes v1.2.Y; a pre-release (v1.3.0-rc.1) neither.
  local more=2
  if [[ $want == *.* ]]; then more=1; fi
  local found
  found=$(grep -o '"tag_name": *"v[0-9][0-9.]*"' <<<"$releases" | sed 's/.*"\(v[0-9.]*\)"$/\1/' |
    grep -E "^${want//./\\.}(\\.[0-9]+){$more}\$" | sort -t. -k2,2n -k3,3n | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "::error title=spacedog-conformance::$repository has no release under $want" >&2
    exit 2
  fi
  echo "$found"
}

# release prints the release or ref to install: the version input, else
# the action's ref; a major or minor tag (v1, v1.2) is its newest release.
release() {
  local version=${INPUT_VERSION:-${ACTION_REF:-}}
  if [ -z "${INPUT_BINARY:-}" ] && [[ $version =~ ^v[0-9]+(\.[0-9]+)?$ ]]; then
    local want=$version
    version=$(newest "$want")
    echo "$version is the newest release under $want" >&2
  fi
  echo "$version"
}

# install prints the path of a spacedog-conformance for this runner, of
# the release or ref $1.
install() {
  if [ -n "${INPUT_BINARY:-}" ]; then
    echo "$INPUT_BINARY"
    return
  fi
  local version=$1
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
  local base="${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/$version"
  local dir="$work/spacedog-conformance-$version"
  mkdir -p "$dir"
  echo "downloading $name.tar.gz" >&2
  curl -fsSL --retry 3 -o "$dir/$name.tar.gz" "$base/$name.tar.gz"
  curl -fsSL --retry 3 -o "$dir/SHA256SUMS" "$base/SHA256SUMS"
  (cd "$dir" && grep " $name.tar.gz\$" SHA256SUMS | sha256 -c -) >&2
  tar -xzf "$dir/$name.tar.gz" -C "$dir"
  echo "$dir/$name/spacedog-conformance"
}

artifact=$(artifact_name)
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "artifact-name=$artifact"; echo "report-dir=$report_dir"; } >>"$GITHUB_OUTPUT"
fi

version=$(release)
# The token has listed the releases: no Go build, no suites, sees it.
unset GITHUB_TOKEN
bin=$(install "$version")
mkdir -p "$report_dir"
# Each setting as its variable: INPUT_MAX_BATCH=20 is SPACEDOG_MAX_BATCH=20.
for v in ${!INPUT_@}; do
  if [[ $own == *" $v "* || -z ${!v} ]]; then continue; fi
  export "SPACEDOG_${v#INPUT_}=${!v}"
done
args=(--report-dir="$report_dir" --ginkgo.no-color --ginkgo.junit-report="$report_dir/junit.xml")
# More arguments, one a line: an argument may hold spaces.
while IFS= read -r line; do
  line=${line%$'\r'}
  if [ -n "$line" ]; then args+=("$line"); fi
done <<<"${INPUT_ARGS:-}"

status=0
"$bin" "${args[@]}" || status=$?
passed=false
if [ "$status" -eq 0 ]; then passed=true; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "passed=$passed" >>"$GITHUB_OUTPUT"
fi
if [ "$status" -ne 0 ]; then
  echo "::error title=SpaceDog conformance::the target at $(target_host) does not conform (exit status $status): the job summary and $report_dir/conformance.md say which rules fail"
fi
exit "$status"
