package defect

import (
	"encoding/json"
	"net/http"
	"strings"
)

// LoginForAnyone answers GET /1/login and GET /1/logout with success,
// whoever asks, directly and in a doc-profile batch alike, as a server that
// never checks credentials would: AUTH-2 and AUTH-3, and no other rule.
func LoginForAnyone(next http.Handler) http.Handler {
	success := []byte(`{"success":true,"status":200}`)
	batched := EditResults(func(item map[string]any, result json.RawMessage) json.RawMessage {
		if method, _ := item["method"].(string); strings.EqualFold(method, "GET") {
			if path, _ := item["path"].(string); isSignIn(path) {
				return success
			}
		}
		return result
	})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !isSignIn(r.URL.Path) {
			batched.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(success)
	})
}

// isSignIn reports whether a path is login's or logout's, by any alias.
func isSignIn(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimSuffix(path, "/")
	for _, root := range []string{"/1/", "/v1/"} {
		if rest, ok := strings.CutPrefix(path, root); ok {
			return rest == "login" || rest == "logout"
		}
	}
	return false
}
