// Package defect makes servers with a known defect, as wrappers around a
// handler, for the tests that prove the suites fail such a server.
package defect

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
)

// SwapFirstTwoResults answers a batch of at least min items with its first
// two results swapped, as a server that runs large batches in parallel
// might: ORD-1 broken. With min 8, only the specs that
// send long batches see it, so no other rule fails with it.
func SwapFirstTwoResults(min int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || strings.TrimSuffix(r.URL.Path, "/") != "/1/batch" {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			var results []json.RawMessage
			if rec.Code == http.StatusOK && json.Unmarshal(body, &results) == nil && len(results) >= max(min, 2) {
				results[0], results[1] = results[1], results[0]
				body, _ = json.Marshal(results)
			}
			maps.Copy(w.Header(), rec.Header())
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}
