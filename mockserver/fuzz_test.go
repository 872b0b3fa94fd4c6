package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/mockserver"
)

// SEC-3: whatever the body, a batch is answered with a status under 500 and
// the self-check holds. `go test` runs the seeds; `go test -fuzz FuzzBatch`
// explores from them.
func FuzzBatch(f *testing.F) {
	cases, err := fixtures.Hostile()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		if body, err := c.Body(); err == nil && len(body) < 4096 {
			f.Add(c.Target(), body)
		}
	}
	f.Add("/1/batch", []byte(`[{"method":"POST","path":"/1/data/t","content":{"a":1}},{"method":"GET","path":"/1/data/t"}]`))
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		if _, err := url.ParseRequestURI(target); err != nil || !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			t.Skip() // not a request line a client could send
		}
		s, err := mockserver.New(mockserver.Config{SelfCheck: func(err error) { t.Error(err) }})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", target, strings.NewReader(string(body)))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code >= http.StatusInternalServerError {
			t.Errorf("POST %s %q: %d %s", target, body, w.Code, w.Body)
		}
	})
}
