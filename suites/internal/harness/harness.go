// Package harness builds the suites' binary once per test process and runs
// it with a deadline, for the tests that judge the suites themselves.
//
// Those are the self-test, the binary's tests and the reports' browser
// test. The binary is built with `make conformance-bin`, as a user builds
// it, and only when a test asks for it; a run that hangs fails its test
// instead of the test binary's timeout.
package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BuildTimeout bounds the build; RunTimeout bounds a run of the suites
// against one server.
const (
	BuildTimeout = 5 * time.Minute
	RunTimeout   = 3 * time.Minute
)

// build makes the binary once for the process, on the first Binary; Main
// removes it. asked says whether a test asked for it.
var (
	asked atomic.Bool
	build = sync.OnceValues(buildBinary)
)

func buildBinary() (string, error) {
	dir, err := os.MkdirTemp("", "spacedog-suites-")
	if err != nil {
		return "", err
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "spacedog-conformance")
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "conformance-bin", "CONFORMANCE_BIN="+bin)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make conformance-bin: %v\n%s", err, out)
	}
	return bin, nil
}

// Binary returns the suites' binary, building it on the process's first
// call. It fails the test when the build fails.
func Binary(t testing.TB) string {
	t.Helper()
	asked.Store(true)
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Main runs the tests of a package that uses Binary, then removes the
// binary if a test had it built: call it from TestMain. A run in which
// every such test skips (-short, -run) builds nothing.
func Main(m *testing.M) {
	code := m.Run()
	removeBuilt()
	os.Exit(code)
}

// removeBuilt removes the binary a test had built, and builds none.
func removeBuilt() {
	if !asked.Load() {
		return
	}
	if bin, err := build(); err == nil && strings.Contains(bin, "spacedog-suites-") {
		os.RemoveAll(filepath.Dir(bin))
	}
}

// Run runs bin with args in dir (the current folder when "") and exactly
// the environment env, within RunTimeout. It returns what the run printed
// and whether it passed: a run still going at the deadline is killed and
// reported as such, never waited for.
func Run(t testing.TB, bin, dir string, env []string, args ...string) (out []byte, passed bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second // a child that kept the output open
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("the suites were still running after %s: killed\n%s", RunTimeout, Tail(out))
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", bin, err)
	}
	return out, err == nil
}

// Tail is the end of a run's output, as much as a failure message shows.
func Tail(b []byte) string {
	const n = 4000
	if len(b) > n {
		return "..." + string(b[len(b)-n:])
	}
	return string(b)
}

// WithoutStepSummary drops GITHUB_STEP_SUMMARY from env: on GitHub Actions
// the reports of the servers a test judges would join the kit's own.
func WithoutStepSummary(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GITHUB_STEP_SUMMARY=") {
			out = append(out, kv)
		}
	}
	return out
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the kit's module")
	}
	return filepath.Dir(mod), nil
}
