// Package testtool finds the programs a test needs beside Go: Chromium,
// podman, curl. Without one, the test skips on a developer's machine and
// fails in CI (CI=true, as GitHub Actions and .ci/run set it), where the
// tool is installed: there, a quiet skip would be a green light nobody
// earned.
package testtool

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Chromium names the browser under the names Debian, Ubuntu and Google
// give it.
var Chromium = []string{"chromium", "chromium-browser", "google-chrome"}

// Path returns the first of names on the PATH; without any, the test is
// missing its tool (Missing).
func Path(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, strings.Join(names, " or ")+" is not on the PATH")
	return ""
}

// Paths returns each of names from the PATH, or marks the test missing its
// tool at the first one absent.
func Paths(t testing.TB, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, name := range names {
		out[i] = Path(t, name)
	}
	return out
}

// Missing ends a test that cannot run here for want of a tool, saying
// why: a failure in CI, a skip elsewhere.
func Missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s: CI must install it (.ci/run does); run without CI=true to skip this test", why)
	}
	t.Skipf("%s: skipped here, a failure in CI (CI=true)", why)
}

// InCI reports whether the tests run in CI: CI set to a true value.
func InCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}
