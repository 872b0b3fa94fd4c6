package generative

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

func run(t *testing.T, profile string, wrap defect.Middleware) (*Finding, Stats) {
	t.Helper()
	mock, err := mockserver.New(mockserver.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = mock
	if wrap != nil {
		h = wrap(mock)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
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
