// Package selftest runs the conformance suites against the mock and against
// deliberately broken variants of it: a suite that cannot fail proves
// nothing. Each variant is a realistic defect, made by a wrapper around the
// mock's handler, and must fail the run with its rule named in the report.
package selftest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// variant is a server for the suites to judge.
type variant struct {
	name    string
	cfg     mockserver.Config
	wrap    func(http.Handler) http.Handler // nil: the mock as it is
	fill    bool                            // store other data first
	strict  bool                            // run with --strict
	profile string                          // the suites' --profile; "" for doc
	catches string                          // the rule whose failure the report must show; "" for a conforming server
	passes  bool                            // the run passes all the same: a SHOULD rule outside --strict
}

func variants() []variant {
	return []variant{
		{name: "the mock", catches: ""},
		{name: "the mock holding other data", fill: true, catches: ""},
		{name: "the 2016 mock", cfg: mockserver.Config{Profile: spec.SpaceDog2016}, profile: spec.SpaceDog2016, catches: ""},
		{name: "the doc mock judged as a 2016 server", profile: spec.SpaceDog2016, catches: "LIM-1 | MUST | FAIL"},
		{name: "the 2016 mock judged as a doc server", cfg: mockserver.Config{Profile: spec.SpaceDog2016}, catches: "LIM-1 | MUST | FAIL"},
		{name: "a batch limit one too high", cfg: mockserver.Config{MaxBatch: 11}, catches: "LIM-2 | MUST | FAIL"},
		{name: "stopOnError ignored", wrap: dropQuery("stopOnError"), catches: "STOP-2 | MUST | FAIL"},
		{name: "results out of order", wrap: editReply(swapFirstTwo), catches: "ORD-1 | MUST | FAIL"},
		{name: "errors without the envelope", wrap: editReply(bareErrors), catches: "ERR-3 | MUST | FAIL"},
		{name: "sub-request headers dropped", wrap: editItems(func(item map[string]any) { delete(item, "headers") }), catches: "SUB-3 | MUST | FAIL"},
		{name: "batched errors worded otherwise", wrap: editReply(rewordErrors), catches: "ORD-4 | MUST | FAIL"},
		{name: "nested batches run", wrap: editItems(unnest), catches: "ERR-6 | MUST | FAIL"},
		{name: "another method on the batch answered 404", wrap: no405, catches: "ERR-2 | SHOULD | not met", passes: true},
		{name: "another method on the batch answered 404, strictly", wrap: no405, strict: true, catches: "ERR-2 | SHOULD | FAIL"},
	}
}

func TestTheSuitesJudgeEachVariant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites once per variant")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "suites.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the suites: %v\n%s", err, out)
	}
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) {
			mock, err := mockserver.New(v.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler = mock
			if v.wrap != nil {
				h = v.wrap(mock)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			if v.fill {
				fill(t, srv.URL)
			}
			reports := filepath.Join(dir, regexp.MustCompile(`\W+`).ReplaceAllString(v.name, "-"))
			args := []string{"--ginkgo.no-color", "--target=" + srv.URL,
				"--username=fred", "--password=secret", "--username2=vince", "--password2=secret2",
				"--report-dir=" + reports, "--strict=" + fmt.Sprint(v.strict), "--profile=" + cmp.Or(v.profile, spec.Doc)}
			out, err := exec.Command(bin, args...).CombinedOutput()
			summary, _ := os.ReadFile(filepath.Join(reports, "conformance.md"))
			if v.catches == "" {
				if err != nil {
					t.Fatalf("the suites fail a conforming server: %v\n%s\n%s", err, summary, tail(out))
				}
				return
			}
			if passed := err == nil; passed != v.passes {
				t.Fatalf("run passed: %v, want %v, for a server with %s\n%s\n%s", passed, v.passes, v.name, summary, tail(out))
			}
			if !bytes.Contains(summary, []byte("\n| "+v.catches+" |")) {
				t.Errorf("the report does not say %q:\n%s\n%s", v.catches, summary, tail(out))
			}
		})
	}
}

// fill stores data of other types, as a live backend has.
func fill(t *testing.T, url string) {
	for i := range 30 {
		body := fmt.Sprintf(`{"n":%d,"note":"someone else's"}`, i)
		resp, err := http.Post(fmt.Sprintf("%s/1/data/other%d?id=o%d", url, i%3, i), "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

func tail(b []byte) string {
	const n = 4000
	if len(b) > n {
		return "..." + string(b[len(b)-n:])
	}
	return string(b)
}

// dropQuery removes a query parameter before the mock sees it.
func dropQuery(name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			q.Del(name)
			r.URL.RawQuery = q.Encode()
			next.ServeHTTP(w, r)
		})
	}
}

// editItems changes each batch item before the mock sees it.
func editItems(edit func(map[string]any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var items []any
			if json.Unmarshal(body, &items) == nil {
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						edit(m)
					}
				}
				body, _ = json.Marshal(items)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			next.ServeHTTP(w, r)
		})
	}
}

// unnest runs a nested batch's first item in its place, as a server that
// does not refuse nesting would run it.
func unnest(item map[string]any) {
	if item["path"] == "/1/batch" || item["path"] == "/1/batch?stopOnError=true" {
		inner, _ := item["content"].([]any)
		if inner == nil {
			inner, _ = item["body"].([]any)
		}
		if len(inner) > 0 {
			if first, ok := inner[0].(map[string]any); ok {
				for k := range item {
					delete(item, k)
				}
				for k, v := range first {
					item[k] = v
				}
			}
		}
	}
}

// editReply changes the mock's reply: the whole body of a direct request,
// the array of a batch.
func editReply(edit func(path string, body []byte) []byte) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := edit(r.URL.Path, rec.Body.Bytes())
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

func swapFirstTwo(path string, body []byte) []byte {
	var results []json.RawMessage
	if path != "/1/batch" || json.Unmarshal(body, &results) != nil || len(results) < 2 {
		return body
	}
	results[0], results[1] = results[1], results[0]
	out, _ := json.Marshal(results)
	return out
}

// bareErrors answers errors as {"error": message}, as many servers do.
func bareErrors(path string, body []byte) []byte {
	bare := func(raw []byte) []byte {
		var e struct {
			Success *bool
			Error   struct{ Message string }
		}
		if json.Unmarshal(raw, &e) == nil && e.Success != nil && !*e.Success {
			out, _ := json.Marshal(map[string]string{"error": e.Error.Message})
			return out
		}
		return raw
	}
	var results []json.RawMessage
	if json.Unmarshal(body, &results) != nil {
		return bare(body)
	}
	for i := range results {
		results[i] = bare(results[i])
	}
	out, _ := json.Marshal(results)
	return out
}

// rewordErrors gives batched errors other messages than direct ones: a
// sub-request no longer answers as it would on its own.
func rewordErrors(path string, body []byte) []byte {
	if path != "/1/batch" {
		return body
	}
	return regexp.MustCompile(`"message":"`).ReplaceAll(body, []byte(`"message":"in a batch: `))
}

// no405 answers another method on /1/batch with a 404 instead of a 405.
func no405(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/1/batch" && r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"success":false,"status":404,"error":{"type":"NotFound","message":"no such route"}}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}
