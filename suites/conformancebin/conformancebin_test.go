// Package conformancebin proves that the suites' binary, built by
// `make conformance-bin`, runs alone: copied into an empty folder, with no Go,
// no sources and only SPACEDOG_* variables in its environment, it passes
// against the mock, fails against a broken server, and writes its reports.
package conformancebin

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

func TestTheBinaryJudgesAServerOnItsOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it twice")
	}
	bin := build(t)
	for _, tc := range []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		passes bool
		says   string // a line of conformance.md
	}{
		{name: "the mock", passes: true, says: "| ORD-1 | MUST | pass |"},
		{name: "batch results reversed", wrap: defect.ReverseBatchResults(1), says: "| ORD-1 | MUST | FAIL |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mock, err := mockserver.New(mockserver.Config{})
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler = mock
			if tc.wrap != nil {
				h = tc.wrap(mock)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()

			dir := alone(t, bin)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "./spacedog-conformance", "--target="+srv.URL,
				"--ginkgo.no-color", "--ginkgo.junit-report=junit.xml", "--report-dir=reports")
			cmd.Dir = dir
			cmd.Env = []string{"HOME=" + dir, "PATH=" + dir,
				"SPACEDOG_USERNAME=fred", "SPACEDOG_PASSWORD=secret",
				"SPACEDOG_USERNAME2=vince", "SPACEDOG_PASSWORD2=secret2"}
			out, err := cmd.CombinedOutput()
			summary, _ := os.ReadFile(filepath.Join(dir, "reports", "conformance.md"))
			if passed := err == nil; passed != tc.passes {
				t.Fatalf("run passed: %v (%v), want %v\n%s\n%s", passed, err, tc.passes, summary, tail(out))
			}
			if !bytes.Contains(summary, []byte("\n"+tc.says+" ")) {
				t.Errorf("reports/conformance.md does not say %q:\n%s\n%s", tc.says, summary, tail(out))
			}
			junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
			if err != nil || !bytes.Contains(junit, []byte("<testsuites")) {
				t.Errorf("no JUnit report in junit.xml (%v):\n%.300s", err, junit)
			}
		})
	}
}

// build runs make conformance-bin, writing the binary in a temporary folder.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "spacedog-conformance")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "conformance-bin", "CONFORMANCE_BIN="+bin)
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make conformance-bin: %v\n%s", err, out)
	}
	return bin
}

// alone copies the binary into an empty folder and returns the folder.
func alone(t *testing.T, bin string) string {
	t.Helper()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spacedog-conformance"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tail(b []byte) string {
	const n = 4000
	if len(b) > n {
		return "..." + string(b[len(b)-n:])
	}
	return string(b)
}
