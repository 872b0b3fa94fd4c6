package generative

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

func run(t *testing.T, profile string, wrap defect.Middleware) (*Finding, Stats) {
	t.Helper()
	srv := defect.ServeMock(t, profile, wrap)
	f, stats, err := Run(context.Background(), Config{Target: srv.URL, Profile: profile, MaxBatch: 10,
		Auths:  []model.Auth{{Header: "", User: "anonymous"}, {Header: model.Basic("fred"), User: "fred"}, {Header: model.Basic("vince"), User: "vince"}},
		Prefix: "t", Seed: 1, Sequences: 20, Steps: 30, Budget: 20 * time.Second, Every: 5})
	if err != nil {
		t.Fatal(err)
	}
	return f, stats
}

// The mock agrees with itself, in each profile.
func TestTheMockAgreesWithItsReference(t *testing.T) {
	for _, profile := range spec.Profiles() {
		f, stats := run(t, profile, nil)
		if f != nil {
			t.Errorf("%s: seed %d: %s\n%v", profile, f.Seed, f.Problem(), f.Steps)
		}
		t.Logf("%s: %+v", profile, stats.Sequences)
	}
}

// A server that slips finds a short sequence that shows it.
func TestAStaleUpdatedByIsFoundAndShrunk(t *testing.T) {
	f, _ := run(t, spec.Doc, defect.StaleUpdatedBy)
	if f == nil {
		t.Fatal("no disagreement found")
	}
	t.Logf("%d steps drawn, %d left after %d replays: %s", f.Drawn, len(f.Steps), f.Shrinks, f.Problem())
	for _, st := range f.Steps {
		t.Log(st)
	}
	if len(f.Steps) > 3 {
		t.Errorf("%d steps left", len(f.Steps))
	}
}

// A long run says how far it got as it goes.
func TestARunTellsItsProgress(t *testing.T) {
	srv := httptest.NewServer(mustMock(t, spec.Doc))
	defer srv.Close()
	var told []Stats
	_, stats, err := Run(context.Background(), Config{Target: srv.URL, Profile: spec.Doc, MaxBatch: 10,
		Auths: []model.Auth{{User: "anonymous"}}, Prefix: "p", Seed: 1, Sequences: 6, Steps: 30, Budget: time.Minute, Every: 5,
		Progress: func(s Stats) { told = append(told, s) }, ProgressEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(told) < 6 || told[len(told)-1].Requests > stats.Requests || told[0].Requests >= told[len(told)-1].Requests {
		t.Errorf("told %d times (%+v), the run's end %+v", len(told), told, stats)
	}
}

// An exchange that gets no reply within --request-timeout is a finding,
// its sequence up to it as the report's, found within the bound: a target
// that hangs on batches is judged in seconds, not waited for.
func TestAnExchangeWithNoReplyIsAFindingWithinTheBound(t *testing.T) {
	srv := httptest.NewServer(defect.HangBeforeHeaders()(mustMock(t, spec.Doc)))
	defer srv.Close()
	start := time.Now()
	f, stats, err := Run(context.Background(), Config{Target: srv.URL, Profile: spec.Doc, MaxBatch: 10,
		Auths: []model.Auth{{User: "anonymous"}}, Prefix: "h", Seed: 1, Sequences: 5, Steps: 30, Budget: time.Minute, Every: 5,
		RequestTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("an error of the kit, not a finding: %v", err)
	}
	if f == nil || !strings.Contains(f.Problem(), "no reply") || len(f.Sent) == 0 || f.Sent[len(f.Sent)-1].Status != 0 {
		t.Fatalf("finding %+v", f)
	}
	if last := f.Sent[len(f.Sent)-1]; last.Method != "POST" || last.Path != "/1/batch" {
		t.Errorf("the last exchange is %s %s, not the batch that got no reply", last.Method, last.Path)
	}
	if took := time.Since(start); took > 30*time.Second || stats.Disagreements != 1 || stats.Requests == 0 {
		t.Errorf("took %s, %d disagreements, %d requests", took, stats.Disagreements, stats.Requests)
	}
}

// A target that hangs on the probe's first request is a finding too, not
// an error of the kit.
func TestAHangOnTheFirstRequestIsAFinding(t *testing.T) {
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && !defect.IsBatch(r.URL.Path) {
				io.Copy(io.Discard, r.Body) // so that net/http sees the client go
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(hang(mustMock(t, spec.Doc)))
	defer srv.Close()
	f, stats, err := Run(context.Background(), Config{Target: srv.URL, Profile: spec.Doc, MaxBatch: 10,
		Auths: []model.Auth{{User: "anonymous"}}, Prefix: "f", Seed: 1, Sequences: 1, Steps: 5, Budget: time.Minute,
		RequestTimeout: 200 * time.Millisecond})
	if err != nil || f == nil || !strings.Contains(f.Problem(), "no reply") || len(f.Sent) != 1 || stats.Requests != 1 {
		t.Fatalf("finding %+v, stats %+v, error %v", f, stats, err)
	}
}

// A disagreement that does not show again on a replay is reported as it
// was first seen: what disagreed, and the exchanges that showed it.
func TestADisagreementThatDoesNotReplayKeepsWhatShowedIt(t *testing.T) {
	var once sync.Once
	flaky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/1/data/") && strings.Count(r.URL.Path, "/") == 3 {
				answered := false
				once.Do(func() {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusOK)
					io.WriteString(w, `{"total":999,"results":[]}`)
					answered = true
				})
				if answered {
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(flaky(mustMock(t, spec.Doc)))
	defer srv.Close()
	f, _, err := Run(context.Background(), Config{Target: srv.URL, Profile: spec.Doc, MaxBatch: 10,
		Auths: []model.Auth{{User: "anonymous"}}, Prefix: "r", Seed: 1, Sequences: 3, Steps: 30, Budget: time.Minute, Every: 5})
	if err != nil || f == nil {
		t.Fatalf("finding %+v, error %v", f, err)
	}
	if !strings.Contains(f.Problem(), "999") || !strings.Contains(f.Problem(), "did not show again") || len(f.Sent) == 0 {
		t.Errorf("the report lost what disagreed: %s (%d exchanges)", f.Problem(), len(f.Sent))
	}
}

func mustMock(t *testing.T, profile string) http.Handler {
	t.Helper()
	m, err := mockserver.New(mockserver.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
