package mockserver_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/spec"
)

// sendExactly sends a request with its path exactly as given (Go's client would
// clean or re-encode some), on the Host given.
func (m *mock) sendExactly(host, method, path, query string, body []byte, h http.Header) reply {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, m.url, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if strings.HasPrefix(path, "//") {
		// As Opaque, the client would send it as an absolute URL.
		if req.URL.Path, err = url.PathUnescape(path); err != nil {
			m.t.Fatal(err)
		}
		req.URL.RawPath = path
	} else {
		req.URL.Opaque = path
	}
	req.URL.RawQuery, req.Host, req.Header = query, host, h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s?%s: %v", method, path, query, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

// The model test fails a mock that breaks a rule: each defect here, put in
// front of the mock under test (not its twin), is caught within the
// default run of one seed, in each profile.
func TestTheModelTestCatchesADefectiveMock(t *testing.T) {
	defects := map[string]func(http.Handler) http.Handler{
		"a batch that ignores stopOnError (STOP-1, STOP-4)": func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/1/batch" {
					r.URL.RawQuery = ""
				}
				next.ServeHTTP(w, r)
			})
		},
		"a direct delete of an object that answers done and keeps it": func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "DELETE" && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 3 {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(`{"success":true,"status":200}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	}
	for name, wrap := range defects {
		for _, profile := range spec.Profiles() {
			t.Run(profile+"/"+name, func(t *testing.T) {
				if step, _, problems := runModel(t, profile, 1, 200, wrap); problems == nil {
					t.Errorf("%d steps passed", step)
				}
			})
		}
	}
}
