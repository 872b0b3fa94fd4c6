package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

func TestTheMockPassesAShortSoakInBothProfiles(t *testing.T) {
	for _, profile := range spec.Profiles() {
		mock, err := mockserver.New(mockserver.Config{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mock)
		rep := Run(context.Background(), Config{URL: srv.URL, Clients: 4, Duration: time.Second, Seed: 1, Prefix: "soak", Profile: profile})
		srv.Close()
		if rep.Failed() || rep.Requests < 50 || rep.SubRequests == 0 || rep.Shared == 0 {
			t.Errorf("%s: %s", profile, rep)
		}
	}
}

// A server that acknowledges every 20th direct create without storing it
// is caught, in either profile.
func TestASoakCatchesLostAndPhantomWrites(t *testing.T) {
	for _, profile := range spec.Profiles() {
		mock, err := mockserver.New(mockserver.Config{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		lossy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/1/data/") && n.Add(1)%20 == 0 {
				body, _ := io.ReadAll(r.Body)
				rec := httptest.NewRecorder()
				r.Body = io.NopCloser(bytes.NewReader(body))
				mock.ServeHTTP(rec, r)
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				// then forget it
				del := httptest.NewRequest("DELETE", r.URL.Path+"/"+idOf(rec.Body.Bytes()), nil)
				mock.ServeHTTP(httptest.NewRecorder(), del)
				return
			}
			mock.ServeHTTP(w, r)
		})
		srv := httptest.NewServer(lossy)
		rep := Run(context.Background(), Config{URL: srv.URL, Clients: 4, Duration: time.Second, Seed: 2, Prefix: "soak", Profile: profile})
		srv.Close()
		if rep.Lost == 0 || !rep.Failed() {
			t.Errorf("%s: a server losing writes passed the soak: %s", profile, rep)
		}
	}
}

// A server whose version check is a read apart from its write lets two
// updates of one version both succeed when clients share an object: the
// soak's shared objects catch it, in either profile. Every step goes to
// them here, so that however slow the machine they see many.
func TestASoakCatchesARaceOnTheObjectsItsClientsShare(t *testing.T) {
	for _, profile := range spec.Profiles() {
		mock, err := mockserver.New(mockserver.Config{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		racy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if r.Method == "PUT" && q.Get("version") != "" {
				rec := httptest.NewRecorder()
				mock.ServeHTTP(rec, httptest.NewRequest("GET", r.URL.Path, nil))
				if strings.Contains(rec.Body.String(), `"version":`+q.Get("version")+`,`) {
					time.Sleep(5 * time.Millisecond)
					q.Del("version")
					r.URL.RawQuery = q.Encode()
				}
			}
			mock.ServeHTTP(w, r)
		})
		srv := httptest.NewServer(racy)
		rep := Run(context.Background(), Config{URL: srv.URL, Clients: 8, Duration: 2 * time.Second, Seed: 4, Prefix: "soak", Profile: profile, SharedEvery: 1})
		srv.Close()
		if rep.NotLinearizable == 0 || !rep.Failed() {
			t.Errorf("%s: a racy version check passed the soak: %s", profile, rep)
		}
	}
}

// The soak judges replies by the profile's rules: a server in the other
// profile fails it.
func TestASoakFailsAServerInTheOtherProfile(t *testing.T) {
	for _, pair := range [][2]string{{spec.Doc, spec.SpaceDog2016}, {spec.SpaceDog2016, spec.Doc}} {
		mock, err := mockserver.New(mockserver.Config{Profile: pair[0]})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mock)
		rep := Run(context.Background(), Config{URL: srv.URL, Clients: 1, Duration: 200 * time.Millisecond, Seed: 3, Prefix: "soak", Profile: pair[1]})
		srv.Close()
		if rep.Mismatches == 0 {
			t.Errorf("a %s server passed a %s soak: %s", pair[0], pair[1], rep)
		}
	}
}

func idOf(saved []byte) string {
	var m struct{ ID string }
	json.Unmarshal(saved, &m) // no id: nothing lost, the test fails
	return m.ID
}

// A server that leaves the shared objects' requests unanswered leaves
// their history unjudged, which fails the soak: the suites skip such a
// run, a soak wants every answer.
func TestASoakFailsSharedObjectsLeftUnanswered(t *testing.T) {
	mock, err := mockserver.New(mockserver.Config{Profile: spec.Doc})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	cut := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 && r.Method != http.MethodGet {
			panic(http.ErrAbortHandler) // the connection cut, nothing run
		}
		mock.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(cut)
	rep := Run(context.Background(), Config{URL: srv.URL, Clients: 4, Duration: time.Second, Seed: 5, Prefix: "soak", Profile: spec.Doc, SharedEvery: 1})
	srv.Close()
	if rep.NotLinearizable == 0 || !strings.Contains(strings.Join(rep.Examples, "\n"), "not judged") {
		t.Errorf("shared requests left unanswered passed the soak: %s", rep)
	}
}
