package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A missing tool skips the test outside CI and fails it in CI, each time
// naming the tool; the test runs in a child process with CI set or not.
func TestAMissingToolSkipsHereAndFailsInCI(t *testing.T) {
	if name := os.Getenv("TESTTOOL_CHILD"); name != "" {
		Path(t, name)
		fmt.Println("FOUND", name)
		return
	}
	for _, c := range []struct {
		ci, tool, want string
		fails          bool
	}{
		{"", "no-such-tool-xyz", "SKIP", false},
		{"false", "no-such-tool-xyz", "SKIP", false},
		{"true", "no-such-tool-xyz", "CI must install it", true},
		{"1", "no-such-tool-xyz", "CI must install it", true},
		{"true", "go", "FOUND go", false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAMissingToolSkipsHereAndFailsInCI$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTTOOL_CHILD="+c.tool, "CI="+c.ci, "PATH="+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.fails || !strings.Contains(string(out), c.want) {
			t.Errorf("CI=%q, tool %s: exit error %v, output:\n%s\nwant %q", c.ci, c.tool, err, out, c.want)
		}
		if !strings.Contains(string(out), c.tool) {
			t.Errorf("CI=%q: the output names no %s:\n%s", c.ci, c.tool, out)
		}
	}
}
