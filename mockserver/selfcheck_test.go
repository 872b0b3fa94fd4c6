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
