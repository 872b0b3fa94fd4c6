package mockserver_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// SEC-3 and the corpus: every hostile input gets a 4xx with the envelope, or
// a 200 whose results are 4xx envelopes, and leaves the store as it was.
func TestSEC3_HostileInputsGet4xxAndChangeNothing(t *testing.T) {
	cases, err := fixtures.Hostile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("the corpus has %d cases, want at least 30", len(cases))
	}
	for _, profile := range spec.Profiles() {
		t.Run(profile, func(t *testing.T) { hostile(t, profile, cases) })
	}
}

func hostile(t *testing.T, profile string, cases []fixtures.Case) {
	m := newMock(t, mockserver.Config{Profile: profile})
	for _, host := range []string{"", "shop.localhost"} {
		m.doHost(host, "POST", "/1/data/hostile?id=seed1", obj{"name": "kept"})
		m.doHost(host, "POST", "/1/data/other?id=seed-2", obj{"name": "kept"})
	}
	before := m.srv.State("")
	for _, c := range cases {
		if !c.In(profile) {
			continue
		}
		t.Run(c.Rule+" "+c.Name, func(t *testing.T) {
			body, err := c.Body()
			if err != nil {
				t.Fatal(err)
			}
			r := m.do(c.Method, c.Target(), body)
			if r.status != c.Status {
				t.Fatalf("status %d, want %d: %.300s", r.status, c.Status, r.body)
			}
			var msg string
			if c.Status >= 400 {
				msg = assertEnvelopeIn(t, profile, r.json(t), c.Status)
			} else {
				res := r.resultsIn(t, profile)
				if len(res) != len(c.Results) {
					t.Fatalf("%d results, want %d: %s", len(res), len(c.Results), r.body)
				}
				for i, want := range c.Results {
					if want < 400 {
						continue
					}
					if m := assertEnvelopeIn(t, profile, res[i], want); msg == "" {
						msg = m
					}
				}
			}
			if !strings.Contains(msg, c.MessageIn(profile)) {
				t.Errorf("message %q does not say %q", msg, c.MessageIn(profile))
			}
			if after := m.srv.State(""); !reflect.DeepEqual(before, after) {
				t.Errorf("the store changed")
			}
		})
	}
	if r := m.do("GET", "/1/data/hostile/seed1", nil); r.status != 200 {
		t.Errorf("the server does not answer after the corpus: %d", r.status)
	}
}

func TestSEC1_DirectRequestsWithDotDotSegmentsAreRejected(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=x", obj{})
	for _, path := range []string{"/1/data/thing/%2e%2e/x", "/1/data/%2E%2E", "/1/data/thing/x/%2e%2e"} {
		r := m.do("DELETE", path, nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("DELETE %s: %d, want 400", path, r.status)
			continue
		}
		if msg := assertEnvelope(t, r.json(t), 400); !strings.Contains(msg, "'..' segment") {
			t.Errorf("DELETE %s: %q", path, msg)
		}
	}
	if !exists(m, "x") {
		t.Error("x was deleted")
	}
}

func TestSEC1_ItemHeadersCannotInjectHeaders(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, h := range []obj{
		{"Authorization": "Basic dmluY2U6eA==\r\nX-Admin: 1"},
		{"X-Note": "line\nbreak"},
		{"X-Nul": "a\u0000b"},
		{"Bad Name": "x"},
		{"": "x"},
	} {
		res := m.batch("", subreq.Post("/1/data/thing?id=y", obj{}).With("headers", h)).results(t)
		assertEnvelope(t, res[0], 400)
	}
	if exists(m, "y") {
		t.Error("an item with a bad header ran")
	}
}
