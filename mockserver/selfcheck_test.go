package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The self-check is what makes every other test a check of the spec too: it
// must catch a response that breaks it, in a direct reply and in a batch.
func TestSelfCheckReportsResponsesThatBreakTheSpec(t *testing.T) {
	for name, broken := range map[string]func(*call) response{
		"a read without meta": func(*call) response { return response{status: 200, body: []byte(`{"name":"x"}`)} },
		"a status the spec does not have": func(*call) response {
			return response{status: 418, body: []byte(`{"success":false,"status":418,"error":{"type":"t","message":"m"}}`)}
		},
		"an envelope without a message": func(*call) response {
			return response{status: 404, body: []byte(`{"success":false,"status":404,"error":{"type":"t","message":""}}`)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var reported []string
			s, err := New(Config{SelfCheck: func(err error) { mu.Lock(); reported = append(reported, err.Error()); mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			s.ops["getObject"] = broken
			for _, req := range []*http.Request{
				httptest.NewRequest("GET", "/1/data/thing/x", nil),
				httptest.NewRequest("POST", "/1/batch", strings.NewReader(`[{"method":"GET","path":"/1/data/thing/x"}]`)),
			} {
				reported = nil
				s.ServeHTTP(httptest.NewRecorder(), req)
				if len(reported) == 0 {
					t.Errorf("%s %s: the self-check reported nothing", req.Method, req.URL)
				}
			}
		})
	}
}

// A 405 is self-checked by the operation that describes it: in the
// spacedog-2016 profile a route error with a type breaks that description,
// directly and in a batch, though it is a fine error envelope.
func TestSelfCheckJudgesA405ByItsDescription(t *testing.T) {
	var mu sync.Mutex
	var reported []string
	s, err := New(Config{Profile: "spacedog-2016", SelfCheck: func(err error) { mu.Lock(); reported = append(reported, err.Error()); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*http.Request{
		httptest.NewRequest("PATCH", "/1/data/thing/x", nil),
		httptest.NewRequest("POST", "/1/batch", strings.NewReader(`[{"method":"PATCH","path":"/1/data/thing/x"}]`)),
	} {
		reported = nil
		s.ServeHTTP(httptest.NewRecorder(), req)
		if len(reported) != 0 {
			t.Errorf("%s %s: the mock's own 405: %v", req.Method, req.URL, reported)
		}
	}
	s.dialect.routeError = func(status int, _, _ string, _ error) response {
		return failureOf(status, "io.spacedog.services.MethodNotAllowedException", "typed")
	}
	for _, req := range []*http.Request{
		httptest.NewRequest("PATCH", "/1/data/thing/x", nil),
		httptest.NewRequest("POST", "/1/batch", strings.NewReader(`[{"method":"PATCH","path":"/1/data/thing/x"}]`)),
	} {
		reported = nil
		s.ServeHTTP(httptest.NewRecorder(), req)
		if len(reported) == 0 || !strings.Contains(strings.Join(reported, "\n"), "patchObjectNotAllowed") {
			t.Errorf("%s %s: a typed 405 in the 2016 profile: reported %q, want patchObjectNotAllowed named", req.Method, req.URL, reported)
		}
	}
}
