package defect

// The servers that meet no SHOULD rule, one rule each: a conforming
// server may do without them, a strict run fails it.

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// CounterIDs generates ids that are not 20 characters (DATA-6 unmet).
func CounterIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("obj%d", n.Add(1)) }
}

// No413 answers a body over the limit with 400 (LIM-3 unmet).
func No413(next http.Handler) http.Handler {
	return EditReply(func(r *http.Request, status int, body []byte) (int, []byte) {
		if status != http.StatusRequestEntityTooLarge {
			return status, body
		}
		return http.StatusBadRequest, []byte(`{"success":false,"status":400,"error":{"type":"BadRequest","message":"body too large"}}`)
	})(next)
}

// No405 answers another method on /1/batch with a 404 (ERR-2 unmet).
func No405(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsBatch(r.URL.Path) && r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"success":false,"status":404,"error":{"type":"NotFound","message":"no such route"}}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LaxStopOnError reads any stopOnError but true as false
// (STOP-4 unmet).
func LaxStopOnError(next http.Handler) http.Handler {
	return EditURL(func(r *http.Request) {
		q := r.URL.Query()
		if v := q.Get("stopOnError"); v != "" && !strings.EqualFold(v, "true") {
			q.Set("stopOnError", "false")
			r.URL.RawQuery = q.Encode()
		}
	})(next)
}

// ExactMethodsAndPaths takes methods in upper case only, and paths under
// /1/ without a trailing slash only, in items and direct requests alike
// (SUB-5 unmet). A nested batch is still refused first (ERR-6).
func ExactMethodsAndPaths(next http.Handler) http.Handler {
	return Chain(
		EditURL(func(r *http.Request) {
			// The path as sent: k%2F ends with no slash, only its decoding does.
			if p := r.URL.EscapedPath(); strings.HasPrefix(p, "/v1/") || len(p) > 1 && strings.HasSuffix(p, "/") {
				r.URL.Path, r.URL.RawPath = "/no-such-route"+r.URL.Path, "/no-such-route"+p
			}
		}),
		EditItems(func(item map[string]any) {
			path, ok := item["path"].(string)
			if !ok || IsBatch(path) {
				return
			}
			if m, ok := item["method"].(string); ok && m != strings.ToUpper(m) {
				item["method"] = "X-" + strings.ToUpper(m) // a method the routes lack: 405
			}
			p, _, _ := strings.Cut(path, "?")
			if strings.HasPrefix(p, "/v1/") || len(p) > 1 && strings.HasSuffix(p, "/") {
				item["path"] = "/no-such-route" + path // 404
			}
		}),
	)(next)
}
