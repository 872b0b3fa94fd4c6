package soak

import (
	"bytes"
	"context"
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
		rep := Run(context.Background(), Config{URL: srv.URL, Clients: 4, Duration: time.Second, Seed: 1, Prefix: "soak"})
		srv.Close()
		if profile == spec.SpaceDog2016 {
			continue // the 2016 batch reply is an envelope: the soak speaks doc
		}
		if rep.Failed() || rep.Requests < 50 || rep.SubRequests == 0 {
			t.Errorf("%s: %s", profile, rep)
		}
	}
}

// A server that acknowledges every 20th direct create without storing it,
// or stores a create it refused, is caught.
func TestASoakCatchesLostAndPhantomWrites(t *testing.T) {
	mock, _ := mockserver.New(mockserver.Config{})
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
	defer srv.Close()
	rep := Run(context.Background(), Config{URL: srv.URL, Clients: 4, Duration: time.Second, Seed: 2, Prefix: "soak"})
	if rep.Lost == 0 || !rep.Failed() {
		t.Errorf("a server losing writes passed the soak: %s", rep)
	}
}

func idOf(saved []byte) string {
	m := decode(saved)
	id, _ := m["id"].(string)
	return id
}
