package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// suitesFlag is one of the suites' flags as the binary's --help lists it.
type suitesFlag struct{ name, variable, def string }

var helpLine = regexp.MustCompile(`(?m)^  --([a-z0-9-]+)(?: \S+)?\s+(SPACEDOG_[A-Z0-9_]+)(?:, default (.*))?$`)

// suitesFlags are the flags of the suites' binary, built as make
// conformance-bin builds it, read from its --help: the flag set itself, a
// flag added anywhere in the suites included.
func suitesFlags(t *testing.T) []suitesFlag {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "spacedog-conformance")
	build := exec.Command("go", "test", "-c", "-o", bin, "./suites")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the suites' binary: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("spacedog-conformance --help: %v\n%s", err, out)
	}
	ours, _, ok := strings.Cut(string(out), "\nGinkgo's flags")
	if !ok {
		t.Fatalf("--help has no section of Ginkgo's flags after the suites' own:\n%s", out)
	}
	var flags []suitesFlag
	for _, m := range helpLine.FindAllStringSubmatch(ours, -1) {
		flags = append(flags, suitesFlag{m[1], m[2], m[3]})
	}
	// The suites have a score of settings: fewer read means a --help
	// this test no longer understands, not fewer flags.
	if len(flags) < 15 {
		t.Fatalf("read %d of the suites' flags from --help:\n%s", len(flags), ours)
	}
	return flags
}

// tableRows are the rows of the Markdown tables of a manual whose first
// cell names a flag, cell by cell, trimmed.
func tableRows(t *testing.T, path string, flagCell int) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if flagCell >= len(cells) {
			continue
		}
		for _, name := range regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(cells[flagCell], -1) {
			rows[name[1]] = cells
		}
	}
	return rows
}

// TestTheManualsListEveryFlag: suites.md's table has a row for each flag
// of the suites, with its variable and its default as --help gives them,
// and no row for a flag that is gone; go-api.md's table of Config's
// fields names each flag beside its field.
func TestTheManualsListEveryFlag(t *testing.T) {
	flags := suitesFlags(t)
	t.Run("suites.md", func(t *testing.T) {
		rows := tableRows(t, "suites.md", 0)
		var names []string
		for _, f := range flags {
			names = append(names, f.name)
			row, ok := rows[f.name]
			switch {
			case !ok:
				t.Errorf("suites.md's table has no row for --%s (%s, default %q)", f.name, f.variable, f.def)
			case len(row) < 4 || row[0] != "`--"+f.name+"`":
				t.Errorf("suites.md's row of --%s is not | `--%s` | variable | default | what |: %q", f.name, f.name, row)
			case row[1] != "`"+f.variable+"`":
				t.Errorf("suites.md gives --%s the variable %s, --help %s", f.name, row[1], f.variable)
			case f.def != "" && row[2] != "`"+f.def+"`":
				t.Errorf("suites.md gives --%s the default %s, --help `%s`", f.name, row[2], f.def)
			case f.def == "" && strings.Contains(row[2], "`"):
				t.Errorf("suites.md gives --%s the default %s, --help none", f.name, row[2])
			}
		}
		for name := range rows {
			if !slices.Contains(names, name) {
				t.Errorf("suites.md's table has a row for --%s, which --help does not list", name)
			}
		}
	})
	t.Run("go-api.md", func(t *testing.T) {
		rows := tableRows(t, "go-api.md", 1)
		for _, f := range flags {
			if _, ok := rows[f.name]; !ok {
				t.Errorf("go-api.md's table names no Config field for --%s", f.name)
			}
		}
	})
}
