package defect

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/concurrency"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// Each race CONC-1 names is caught, and reported with the object, the
// part of its history no order explains, each request as a command with
// its answer, and the timeline. Each in one profile here, under -race;
// the self-test catches each in both, with the suites' binary.
func TestEachRaceIsCaught(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		profile string
	}{
		{"lost update", LostUpdate, spec.Doc},
		{"duplicate create", DuplicateCreate, spec.SpaceDog2016},
		{"version check apart", VersionCheckApart, spec.Doc},
		{"update resurrects", UpdateResurrects, spec.SpaceDog2016},
	} {
		t.Run(tc.name+"/"+tc.profile, func(t *testing.T) {
			profile := tc.profile
			res := runConcurrency(t, tc.wrap, profile)
			f := res.Verdict.Finding
			if res.NotJudged != "" || f == nil || f.Disagree != "" {
				t.Fatalf("not caught: %q; %d objects checked, undecided %v", res.NotJudged, res.Verdict.Objects, res.Verdict.Undecided)
			}
			if len(f.Ops) == 0 || !slices.Contains(f.Ops, f.Culprit) || len(f.Start) == 0 && !f.Alone || len(f.Why) == 0 || !bytes.Contains(f.Timeline, []byte("<html")) {
				t.Fatalf("finding of %d requests, culprit %v, start %v, why %q", len(f.Ops), f.Culprit, f.Start, f.Why)
			}
			text := res.Problem(func(ex concurrency.Exchange) string { return "curl " + ex.URL }, "about the run", "timeline.html")
			says := []string{"No order of the requests on object " + f.Object, "<- no order explains this answer", "\ncurl http://", "# answer: ", "timeline.html", "about the run"}
			if f.Alone {
				says = []string{"got an answer that no state of the object " + f.Object + " gives", "\ncurl http://", "# answer: ", "timeline.html", "about the run"}
			}
			for _, says := range says {
				if !strings.Contains(text, says) {
					t.Errorf("the report does not say %q:\n%s", says, text)
				}
			}
			t.Logf("%d requests; the part shown has %d requests:\n%s", res.Requests, len(f.Ops), text)
		})
	}
}

// runConcurrency runs the concurrency mode against the mock of the
// profile behind wrap, for 1,000 requests.
func runConcurrency(t *testing.T, wrap Middleware, profile string) *concurrency.Result {
	t.Helper()
	srv := ServeMock(t, profile, wrap)
	res, err := concurrency.Run(context.Background(), concurrency.Config{Target: srv.URL, Profile: profile, Clients: 8, Ops: 1000,
		Budget: 20 * time.Second, Seed: 2, Types: []string{"conc_a", "conc_b"}, Auths: []model.Auth{{Header: model.Basic("fred"), User: "fred"}},
		HTTP: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}, CheckTimeout: time.Minute, Timeline: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Each racy server answers one client as the mock does.
func TestARacyServerAnswersOneClientAsTheMock(t *testing.T) {
	for _, wrap := range []Middleware{LostUpdate, DuplicateCreate, VersionCheckApart, UpdateResurrects} {
		for _, profile := range spec.Profiles() {
			m, err := mockserver.New(mockserver.Config{Profile: profile, NewID: mockserver.SeededIDs(1), Now: mockserver.FixedClock(time.Unix(0, 0), time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			ref, err := mockserver.New(mockserver.Config{Profile: profile, NewID: mockserver.SeededIDs(1), Now: mockserver.FixedClock(time.Unix(0, 0), time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			racy := wrap(m)
			for _, r := range []struct{ method, target, body string }{
				{"PUT", "/1/data/t/k", `{"a":1}`},
				{"POST", "/1/data/t?id=k", `{"a":1,"b":2}`},
				{"POST", "/1/data/t?id=k", `{"a":2}`},
				{"GET", "/1/data/t/k", ""},
				{"PUT", "/1/data/t/k", `{"c":3,"meta":{"version":9}}`},
				{"PUT", "/1/data/t/k?version=1", `{"c":4}`},
				{"PUT", "/1/data/t/k?version=2&strict=true", `{"d":5}`},
				{"PUT", "/1/data/t/k?strict=true", `{"e":6}`},
				{"GET", "/1/data/t/k", ""},
				{"DELETE", "/1/data/t/k", ""},
				{"PUT", "/1/data/t/k", `{"f":7}`},
				{"PUT", "/1/data/t/k?version=x", `{"f":7}`},
				{"POST", "/1/data/t?id=k", `[]`},
				{"POST", "/1/data/t?id=k", `{"g":8}`},
				{"GET", "/1/data/t/k", ""},
			} {
				got, want := Record(racy, request(r.method, r.target, r.body)), Record(ref, request(r.method, r.target, r.body))
				if got.Status != want.Status || !bytes.Equal(got.Body, want.Body) {
					t.Errorf("%s %s %s: %d %s, the mock answers %d %s", profile, r.method, r.target, got.Status, got.Body, want.Status, want.Body)
				}
			}
		}
	}
}

func request(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "alpha.localhost"
	r.Header.Set("Authorization", model.Basic("fred"))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}
