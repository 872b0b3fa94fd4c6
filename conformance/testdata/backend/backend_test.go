// A Go backend's own test, as one would write it: the conformance suites
// against its handler, one call per profile. The kit's test (conformance/
// module_test.go) runs it as its own module, which requires the kit.
package backend

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/conformance"
	"github.com/spacedog-oss/batchkit/mockserver"
)

// backend is this module's server: the kit's mock in a profile, with two
// users whose passwords it checks.
func backend(t *testing.T, profile string) http.Handler {
	t.Helper()
	mock, err := mockserver.New(mockserver.Config{Profile: profile, Users: map[string]string{"fred": "secret", "vince": "secret2"}})
	if err != nil {
		t.Fatal(err)
	}
	return mock
}

func config(h http.Handler, profile string) conformance.Config {
	cfg := conformance.Config{
		Handler:  h,
		Profile:  profile,
		Username: "fred", Password: "secret",
		Username2: "vince", Password2: "secret2",
		UsersEnforced: true,
		Destructive:   true, // the handler's data is this test's own
	}
	if dir := os.Getenv("BACKEND_REPORT_DIR"); dir != "" {
		cfg.ReportDir = filepath.Join(dir, profile)
	}
	return cfg
}

// Both profiles, in one test, at the same time.
func TestTheBackendConforms(t *testing.T) {
	for _, profile := range []string{"doc", "spacedog-2016"} {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			conformance.Test(t, config(backend(t, profile), profile))
		})
	}
}

// A backend that answers batches of 8 or more with their first two results
// swapped breaks ORD-1: the suites must fail it. Run with
// BACKEND_EXPECT_FAILURE=1 -run TestASwappingBackendFails.
func TestASwappingBackendFails(t *testing.T) {
	expectFailure(t)
	conformance.Test(t, config(swapFirstTwoResults(backend(t, "doc")), "doc"))
}

// expectFailure skips a test that fails by design unless asked for.
func expectFailure(t *testing.T) {
	if os.Getenv("BACKEND_EXPECT_FAILURE") == "" {
		t.Skip("fails by design: BACKEND_EXPECT_FAILURE=1 runs it")
	}
}

func swapFirstTwoResults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || strings.TrimSuffix(r.URL.Path, "/") != "/1/batch" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var results []json.RawMessage
		if rec.Code == http.StatusOK && json.Unmarshal(body, &results) == nil && len(results) >= 8 {
			results[0], results[1] = results[1], results[0]
			body, _ = json.Marshal(results)
		}
		maps.Copy(w.Header(), rec.Header())
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// The tests of how Test runs its child process (conformance/process_test.go)
// run the suites for one rule, ORD-1, against the mock, which BACKEND_SERVED
// counts: each process that serves the handler adds its pid to that file.
func quick(t *testing.T) conformance.Config {
	t.Helper()
	cfg := config(served(backend(t, "doc")), "doc")
	cfg.LabelFilter = "ORD-1"
	return cfg
}

// served adds this process's pid to the file BACKEND_SERVED names when
// the handler gets its first request.
func served(next http.Handler) http.Handler {
	path := os.Getenv("BACKEND_SERVED")
	if path == "" {
		return next
	}
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err == nil {
				fmt.Fprintln(f, os.Getpid())
				f.Close()
			}
		})
		next.ServeHTTP(w, r)
	})
}

// One rule, ORD-1, against the mock: go test -count=2 runs it twice.
func TestTheBackendKeepsORD1(t *testing.T) {
	conformance.Test(t, quick(t))
}

// A test whose code calls Test in its first process only, as code that
// depends on state outside the test would: the parent makes a marker in
// BACKEND_REPORT_DIR, and the child, the test binary run again, finds it
// and returns. The child runs nothing: the test must fail, whatever
// reports the folder held before. Run with BACKEND_EXPECT_FAILURE=1.
func TestAChildThatTakesAnotherPath(t *testing.T) {
	expectFailure(t)
	marker := filepath.Join(os.Getenv("BACKEND_REPORT_DIR"), "called")
	if _, err := os.Stat(marker); err == nil {
		return // the child
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	conformance.Test(t, quick(t))
}

// A test that runs in short mode only: go test -short runs its child in
// short mode too.
func TestInShortModeOnly(t *testing.T) {
	if !testing.Short() {
		t.Skip("go test -short runs it")
	}
	conformance.Test(t, quick(t))
}

// Code after the call runs in the child too, and a process it starts (a
// go test of another module that calls Test, say) must not take itself
// for a child of this test: the variable by which Test's parent process
// speaks to its child is gone there once read.
func TestTheChildsOwnProcessesAreNoChildren(t *testing.T) {
	conformance.Test(t, quick(t))
	if v, ok := os.LookupEnv("BATCHKIT_CONFORMANCE_CHILD"); ok {
		t.Errorf("a process this test starts would inherit BATCHKIT_CONFORMANCE_CHILD=%s", v)
	}
}

// A backend that answers each request 20 ms late, too slow for the whole
// run within a short go test -timeout: the run stops itself before go
// test's deadline, gives its lane of types back, and writes its reports,
// incomplete. BACKEND_LEASES gets the method of each request on the
// leases. Run with BACKEND_EXPECT_FAILURE=1 and go test -timeout=15s.
func TestASlowBackend(t *testing.T) {
	expectFailure(t)
	conformance.Test(t, config(slow(backend(t, "doc")), "doc"))
}

func slow(next http.Handler) http.Handler {
	leases := os.Getenv("BACKEND_LEASES")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if leases != "" && strings.Contains(r.URL.Path, "/batchkit_leases") {
			if f, err := os.OpenFile(leases, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintln(f, r.Method)
				f.Close()
			}
		}
		select {
		case <-time.After(20 * time.Millisecond):
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// Two calls at once with one ReportDir, in parallel subtests: they would
// write over each other's reports, and the second fails, saying so. Run
// with BACKEND_EXPECT_FAILURE=1.
func TestTwoRunsAtOnceInOneFolder(t *testing.T) {
	expectFailure(t)
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conformance.Test(t, quick(t))
		})
	}
}
