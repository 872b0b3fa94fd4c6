package mockserver_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The walk of a request: which of the package's files a two-item batch
// runs code of, and in how many stays. A stay is a run of consecutive steps
// in one file, a step being a call of a function or a return to its
// caller. It measures how far a reader follows a request through the
// package, not its speed (docs/design.md):
//
//	go test ./mockserver/ -run TestTheWalkOfATwoItemBatch -v -walk
//
// The package is built with a call recorder at the top of every function
// and function literal of its files (go test -overlay: the files on disk
// are untouched), then serves a batch of a create and a read, after one
// such batch to warm up, with the default Config.

var walk = flag.Bool("walk", false, "measure the walk of a two-item batch through the package's files (builds the package instrumented)")

func TestTheWalkOfATwoItemBatch(t *testing.T) {
	if !*walk {
		t.Skip("a measurement: run it with -walk")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on the PATH: %v", err)
	}
	dir, err := os.Getwd() // the package's directory
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	tmp := t.TempDir()
	overlay := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := instrument(filepath.Base(f), src)
		if err != nil {
			t.Fatal(err)
		}
		overlay[f] = filepath.Join(tmp, filepath.Base(f))
		if err := os.WriteFile(overlay[f], out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range map[string]string{"zz_walk.go": walkRecorder, "zz_walk_internal_test.go": walkServe} {
		overlay[filepath.Join(dir, name)] = filepath.Join(tmp, name)
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "overlay.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobin, "test", "-count=1", "-overlay="+filepath.Join(tmp, "overlay.json"), "-run=^TestWalkRecord$", "-v", ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the instrumented package: %v\n%s", err, out)
	}
	var steps [][2]string // file, and the function entered or, after "<", returned to
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "walk\t"); ok {
			file, fn, _ := strings.Cut(rest, "\t")
			steps = append(steps, [2]string{file, fn})
		}
	}
	if len(steps) == 0 {
		t.Fatalf("no call recorded:\n%s", out)
	}
	touched := map[string]bool{}
	var stays [][]string // each stay's file, then the functions entered in it
	calls := 0
	for i, s := range steps {
		touched[s[0]] = true
		if i == 0 || steps[i-1][0] != s[0] {
			stays = append(stays, []string{s[0]})
		}
		if fn, ok := strings.CutPrefix(s[1], "<"); ok {
			if len(stays[len(stays)-1]) == 1 {
				stays[len(stays)-1] = append(stays[len(stays)-1], "back in "+fn)
			}
			continue
		}
		calls++
		stays[len(stays)-1] = append(stays[len(stays)-1], s[1])
	}
	lines := make([]string, len(stays))
	for i, stay := range stays {
		lines[i] = fmt.Sprintf("%3d %s: %s", i+1, stay[0], compact(stay[1:]))
	}
	t.Logf("a two-item batch (a create, a read) runs code of %d of the package's %d files, in %d stays (%d calls):\n%s",
		len(touched), len(files), len(stays), calls, strings.Join(lines, "\n"))
	t.Logf("the files: %s", strings.Join(slices.Sorted(maps.Keys(touched)), ", "))
	if len(touched) > walkBound {
		t.Errorf("the batch runs code of %d files, over the %d a reader should have to open: a stage in a file of its own?", len(touched), walkBound)
	}
}

// walkBound is the most files a batch should run code of (issue 27).
const walkBound = 12

// compact joins names, a name repeated in a row written once with its count.
func compact(names []string) string {
	var out []string
	for i := 0; i < len(names); {
		j := i
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", names[i], j-i))
		} else {
			out = append(out, names[i])
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// instrument inserts a call of walkEnter at the top of every function and
// function literal of a file, on the line of its brace: lines stay where
// they were.
func instrument(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	type insert struct {
		at   int
		text string
	}
	var inserts []insert
	enter := func(body *ast.BlockStmt, fn string) {
		if body != nil {
			inserts = append(inserts, insert{fset.Position(body.Lbrace).Offset + 1, fmt.Sprintf("walkEnter(%q, %q); defer walkLeave();", name, fn)})
		}
	}
	for _, decl := range f.Decls {
		outer := "var"
		switch d := decl.(type) {
		case *ast.FuncDecl:
			outer = d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				outer = recvName(d.Recv.List[0].Type) + "." + outer
			}
			enter(d.Body, outer)
		case *ast.GenDecl:
			if len(d.Specs) > 0 {
				if v, ok := d.Specs[0].(*ast.ValueSpec); ok && len(v.Names) > 0 {
					outer = v.Names[0].Name
				}
			}
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				enter(lit.Body, outer+".func")
			}
			return true
		})
	}
	slices.SortFunc(inserts, func(a, b insert) int { return b.at - a.at })
	out := slices.Clone(src)
	for _, in := range inserts {
		out = slices.Insert(out, in.at, []byte(in.text)...)
	}
	return out, nil
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "(*" + recvName(e.X) + ")"
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return "?"
}

// walkRecorder is the recorder the instrumented files call.
const walkRecorder = `package mockserver

import "sync"

var walkState struct {
	sync.Mutex
	on    bool
	stack [][2]string
	calls [][2]string
}

func walkEnter(file, fn string) {
	walkState.Lock()
	defer walkState.Unlock()
	walkState.stack = append(walkState.stack, [2]string{file, fn})
	if walkState.on {
		walkState.calls = append(walkState.calls, [2]string{file, fn})
	}
}

func walkLeave() {
	walkState.Lock()
	defer walkState.Unlock()
	walkState.stack = walkState.stack[:len(walkState.stack)-1]
	if n := len(walkState.stack); walkState.on && n > 0 {
		walkState.calls = append(walkState.calls, [2]string{walkState.stack[n-1][0], "<" + walkState.stack[n-1][1]})
	}
}
`

// walkServe serves the batch whose walk is recorded, and prints the calls.
const walkServe = `package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWalkRecord(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(method, target, body string) {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(method, target, strings.NewReader(body)))
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), ` + "`" + `"success":false` + "`" + `) {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
	}
	serve("POST", "/1/data/product?id=p0", ` + "`" + `{"name":"Teddy Bear","price":"$23.45"}` + "`" + `)
	batch := ` + "`" + `[{"method":"POST","path":"/1/data/product","content":{"name":"Mobby Dick","stock":1}},{"method":"GET","path":"/1/data/product/p0"}]` + "`" + `
	serve("POST", "/1/batch", batch) // once to warm up
	walkState.Lock()
	walkState.on = true
	walkState.Unlock()
	serve("POST", "/1/batch", batch)
	walkState.Lock()
	walkState.on = false
	calls := walkState.calls
	walkState.Unlock()
	for _, c := range calls {
		fmt.Printf("walk\t%s\t%s\n", c[0], c[1])
	}
}
`
