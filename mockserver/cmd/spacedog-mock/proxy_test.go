package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver"
)

func TestTheProxyFlagJudgesABackendAndFailsTheExitOnAViolation(t *testing.T) {
	backend, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	good := httptest.NewServer(backend)
	defer good.Close()
	r := start(t, "--proxy", good.URL, "--fail-on-violation")
	if status, body := r.post("/1/batch", `[{"method":"POST","path":"/1/data/t?id=k","content":{}},{"method":"GET","path":"/1/data/t/k"}]`); status != 200 || !strings.Contains(body, `"id":"k"`) {
		t.Fatalf("through the proxy: %d %s", status, body)
	}
	if _, body := r.do("GET", "/_mock/violations", ""); body != "[]" {
		t.Errorf("violations of a conforming backend: %s", body)
	}
	r.stop(syscall.SIGTERM) // exit 0: nothing seen

	// A backend whose GET results lose their meta: the second result breaks.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := httptest.NewRecorder()
		backend.ServeHTTP(rec, req)
		var results []map[string]any
		body := rec.Body.Bytes()
		if req.URL.Path == "/1/batch" && json.Unmarshal(body, &results) == nil {
			for _, res := range results {
				delete(res, "meta")
			}
			body, _ = json.Marshal(results) // decoded JSON: cannot fail
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	defer broken.Close()
	r = start(t, "--proxy", broken.URL, "--fail-on-violation")
	r.post("/1/batch", `[{"method":"DELETE","path":"/1/data/t/nope"},{"method":"GET","path":"/1/data/t/k"}]`)
	_, body := r.do("GET", "/_mock/violations", "")
	var vs []mockserver.Violation
	if err := json.Unmarshal([]byte(body), &vs); err != nil || len(vs) != 1 || vs[0].Index != 1 || vs[0].Operation != "getObject" {
		t.Fatalf("violations %s, want result [1] of getObject", body)
	}
	if _, health := r.do("GET", "/_mock/health", ""); !strings.Contains(health, `"violations":1`) {
		t.Errorf("health: %s", health)
	}
	if !strings.Contains(r.stderr.String(), "contract violation") {
		t.Errorf("no log line for the violation: %s", r.stderr)
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err) // it ended before: not for the violation
	}
	select {
	case err := <-r.done:
		exit, ok := err.(*exec.ExitError)
		if !ok || exit.ExitCode() != 1 {
			t.Errorf("exit %v, want status 1 for the violation; stderr: %s", err, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running")
	}
	if out := fails(t, "--proxy", "ftp://x"); !strings.Contains(out, "--proxy") {
		t.Errorf("a bad --proxy: %s", out)
	}
	if out := fails(t, "--proxy", good.URL, "--state-file", "x.json"); !strings.Contains(out, "--state-file") {
		t.Errorf("--proxy with a state file: %s", out)
	}
}
