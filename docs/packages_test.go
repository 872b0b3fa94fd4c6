// Package docs_test holds the manuals to the code they describe.
//
// The package map of design.md is held to the module's packages.
package docs_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "write design.md's package map from the packages' doc comments")

// The map's bounds in design.md: the table between them is written from
// the code, never by hand.
const (
	mapStart = "<!-- package map: written by `go test ./docs -update` from each package's doc comment -->"
	mapEnd   = "<!-- end of the package map -->"
)

// TestThePackageMapIsEachPackagesOwnLine: design.md's table lists every
// package of the module, in go list's order, each with the first sentence
// of its doc comment, and nothing else. A package added, moved or
// re-described shows up as a difference; -update writes the table again.
func TestThePackageMapIsEachPackagesOwnLine(t *testing.T) {
	want := packageMap(t)
	path := "design.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start, end := bytes.Index(b, []byte(mapStart)), bytes.Index(b, []byte(mapEnd))
	if start < 0 || end < start {
		t.Fatalf("%s has no package map between %q and %q", path, mapStart, mapEnd)
	}
	got := string(b[start+len(mapStart) : end])
	if got == want {
		return
	}
	if *update {
		out := slices.Concat(b[:start+len(mapStart)], []byte(want), b[end:])
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's package map differs from the packages' doc comments (go test ./docs -update writes it):\n%s", path, diff(got, want))
}

// packageMap is the table: a row per package of `go list ./...`, its path
// relative to the module and its doc comment's synopsis.
func packageMap(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=Dir,ImportPath,Doc,TestGoFiles,XTestGoFiles", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var b strings.Builder
	b.WriteString("\n| package | its one job |\n|---|---|\n")
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p struct {
			Dir, ImportPath, Doc      string
			TestGoFiles, XTestGoFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		synopsis := p.Doc
		if synopsis == "" { // a package of tests only: their package comment
			synopsis = testsSynopsis(t, p.Dir, slices.Concat(p.TestGoFiles, p.XTestGoFiles))
		}
		if synopsis == "" {
			t.Errorf("package %s has no doc comment: its first sentence is its line in the map", rel)
		}
		// "Package spec holds ..." is the row of spec: "holds ...".
		synopsis = leadingName.ReplaceAllString(synopsis, "")
		fmt.Fprintf(&b, "| `%s` | %s |\n", rel, strings.ReplaceAll(synopsis, "|", `\|`))
	}
	return b.String()
}

const module = "github.com/spacedog-oss/batchkit"

// leadingName is how a doc comment starts: "Package spec ", "Command soak ".
var leadingName = regexp.MustCompile(`^(Package|Command) [\w-]+ `)

// testsSynopsis is the first sentence of the package comment of a package
// that has tests only.
func testsSynopsis(t *testing.T, dir string, files []string) string {
	t.Helper()
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil {
			var p doc.Package
			return p.Synopsis(f.Doc.Text())
		}
	}
	return ""
}

var row = regexp.MustCompile("(?m)^\\| `[^`]+` \\|.*$")

// diff lists the rows of one table that the other lacks.
func diff(got, want string) string {
	var b strings.Builder
	g, w := row.FindAllString(got, -1), row.FindAllString(want, -1)
	for _, r := range g {
		if !slices.Contains(w, r) {
			b.WriteString("- " + r + "\n")
		}
	}
	for _, r := range w {
		if !slices.Contains(g, r) {
			b.WriteString("+ " + r + "\n")
		}
	}
	if b.Len() == 0 {
		return "(the same rows, in another order or with other text around them)"
	}
	return b.String()
}
