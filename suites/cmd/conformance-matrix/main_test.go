package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// results writes a run's results.json in a folder of its own and returns
// its path. outcomes gives each rule's outcome; a rule left out is one
// the run's kit did not have.
func results(t *testing.T, dir, target, profile string, outcomes map[string]summary.Outcome) string {
	t.Helper()
	r := summary.Results{SchemaVersion: summary.SchemaVersion, Kit: summary.Kit{Module: "github.com/spacedog-oss/batchkit", Version: "v0.4.0"},
		Target: target, Profile: profile, Conforms: true, Started: time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC), Problems: []string{}}
	for _, id := range []string{"ORD-1", "SUB-5", "LIM-3", "ERR-2", "DATA-6"} {
		o, ok := outcomes[id]
		if !ok {
			continue
		}
		level := "SHOULD"
		if id == "ORD-1" {
			level = "MUST"
		}
		if o == summary.Fail {
			r.Conforms = false
		}
		r.Rules = append(r.Rules, summary.RuleResult{ID: id, Level: level, Summary: id + " <summary>", Outcome: o})
		switch o {
		case summary.Pass:
			r.Counts.Pass++
		case summary.Fail:
			r.Counts.Fail++
		case summary.NotMet:
			r.Counts.NotMet++
		default:
			r.Counts.Skipped++
		}
	}
	path := filepath.Join(dir, strings.NewReplacer(":", "_", "/", "_").Replace(target+"-"+profile), "results.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := r.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestThreeRunsMakeOneTable(t *testing.T) {
	dir := t.TempDir()
	p, s, f, n := summary.Pass, summary.Skipped, summary.Fail, summary.NotMet
	files := []string{
		results(t, dir, "http://127.0.0.1:8080", "doc", map[string]summary.Outcome{"ORD-1": p, "SUB-5": p, "LIM-3": p, "ERR-2": p}),
		results(t, dir, "http://127.0.0.1:8081", "spacedog-2016", map[string]summary.Outcome{"ORD-1": p, "SUB-5": p, "LIM-3": s, "ERR-2": p}),
		results(t, dir, "https://staging.example.com", "doc", map[string]summary.Outcome{"ORD-1": f, "SUB-5": n, "LIM-3": p, "ERR-2": p, "DATA-6": n}),
	}
	page := filepath.Join(dir, "matrix.html")
	for _, args := range [][]string{append([]string{"-html", page}, files...), append(append([]string{}, files...), "-html", page)} {
		// The page of the last run would pass for this one's.
		if err := os.Remove(page); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		var out, errs strings.Builder
		if err := run(args, &out, &errs); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errs.String())
		}
		md := out.String()
		for _, s := range []string{
			"| run | 127.0.0.1:8080 doc | 127.0.0.1:8081 spacedog-2016 | staging.example.com doc |\n",
			"| verdict | **conforms** | **conforms** | **does not conform** |\n",
			"| rule | level | 127.0.0.1:8080 doc | 127.0.0.1:8081 spacedog-2016 | staging.example.com doc |\n|---|---|---|---|---|\n",
			"| **ORD-1** | MUST | pass | pass | **FAIL** |\n",
			"| **SUB-5** | SHOULD | pass | pass | not met |\n",
			"| **LIM-3** | SHOULD | pass | skipped | pass |\n",
			"| ERR-2 | SHOULD | pass | pass | pass |\n",
			"| **DATA-6** | SHOULD | — | — | not met |\n",
		} {
			if !strings.Contains(md, s) {
				t.Errorf("%v: the table lacks %q:\n%s", args, s, md)
			}
		}
		// In the contract's order: by area, then number.
		if !before(md, "ORD-1", "DATA-6") || !before(md, "LIM-3", "ERR-2") {
			t.Errorf("rows out of the contract's order:\n%s", md)
		}
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{`<th>staging.example.com doc</th>`, `<tr id="ORD-1" class="differs"><th title="ORD-1 &lt;summary&gt;">ORD-1</th><td>MUST</td><td class="pass">pass</td><td class="pass">pass</td><td class="fail">FAIL</td></tr>`,
			`<td class="absent">—</td>`, `<td class="fail">does not conform</td>`} {
			if !strings.Contains(string(html), s) {
				t.Errorf("the page lacks %q:\n%s", s, html)
			}
		}
	}
}

// Two runs against one target in one profile are told apart by their time.
func TestRunsOfOneTargetAreToldApart(t *testing.T) {
	dir := t.TempDir()
	a := results(t, dir, "http://h", "doc", map[string]summary.Outcome{"ORD-1": summary.Pass})
	b := results(t, filepath.Join(dir, "b"), "http://h", "doc", map[string]summary.Outcome{"ORD-1": summary.Fail})
	var out strings.Builder
	if err := run([]string{a, b}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| run | h doc 2026-05-04 07:00 #1 | h doc 2026-05-04 07:00 #2 |") {
		t.Errorf("columns not told apart:\n%s", out.String())
	}
}

func TestBadInputIsNamed(t *testing.T) {
	dir := t.TempDir()
	notResults := filepath.Join(dir, "ginkgo.json")
	other := filepath.Join(dir, "results.json")
	// Missing, they would be refused with their names too.
	for path, data := range map[string]string{notResults: `[{"SuitePath":"/x"}]`, other: `{"schemaVersion":2,"target":"http://h"}`} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no results.json given"},
		{[]string{filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{notResults}, "ginkgo.json"},
		{[]string{other}, "schemaVersion 2"},
		{[]string{"-html"}, "flag needs an argument"},
	} {
		var out, errs strings.Builder
		err := run(tc.args, &out, &errs)
		if err == nil || !strings.Contains(err.Error()+errs.String(), tc.want) {
			t.Errorf("%v: error %v (%s), want one naming %q", tc.args, err, errs.String(), tc.want)
		}
	}
}

// before reports whether a and b are both in s, a first.
func before(s, a, b string) bool {
	i, j := strings.Index(s, a), strings.Index(s, b)
	return i >= 0 && j >= 0 && i < j
}
