package concurrency

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// run runs the mode against h for ops requests at most.
func run(t *testing.T, h http.Handler, profile string, ops int, seed uint64) *Result {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := Run(context.Background(), Config{Target: srv.URL, Profile: profile, Clients: 8, Ops: ops, Budget: 20 * time.Second, Seed: seed,
		Types: []string{"conc_a", "conc_b"}, Auths: []model.Auth{{Header: model.Basic("fred"), User: "fred"}, {Header: model.Basic("vince"), User: "vince"}},
		HTTP: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}, CheckTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mock(t *testing.T, profile string) http.Handler {
	t.Helper()
	m, err := mockserver.New(mockserver.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTheMockIsLinearizableInBothProfiles(t *testing.T) {
	for _, profile := range spec.Profiles() {
		t.Run(profile, func(t *testing.T) {
			res := run(t, mock(t, profile), profile, 600, 1)
			v := res.Verdict
			t.Logf("%d requests, %d operations in %s (%.0f requests/s), %d objects checked in %s", res.Requests, res.Ops, res.Elapsed,
				float64(len(res.History.Exchanges()))/res.Elapsed.Seconds(), v.Objects, v.Took)
			if res.NotJudged != "" || res.Unanswered > 0 {
				t.Fatalf("not judged %q, %d unanswered", res.NotJudged, res.Unanswered)
			}
			if p := res.Problem(func(ex Exchange) string { return ex.Method + " " + ex.URL + " " + string(ex.Body) }, "", ""); p != "" {
				t.Fatal(p)
			}
			if res.Ops < 600 || v.Objects != 4 {
				t.Errorf("%d operations on %d objects", res.Ops, v.Objects)
			}
		})
	}
}
