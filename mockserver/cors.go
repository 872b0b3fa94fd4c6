package mockserver

import (
	"net/http"
	"slices"
	"strings"
)

// cors lets pages of the allowed origins call the mock from a browser.
type cors struct {
	origins []string // "*" for any; none: CORS is off
}

// corsMethods and the headers SpaceDog clients send.
const (
	corsMethods = "GET, POST, PUT, DELETE, OPTIONS"
	corsMaxAge  = "600"
)

func (c cors) allowed(origin string) string {
	switch {
	case origin == "" || len(c.origins) == 0:
		return ""
	case slices.Contains(c.origins, "*"):
		return "*"
	case slices.Contains(c.origins, origin):
		return origin
	}
	return ""
}

// allowedHeader is a request header a page may send: Authorization,
// Content-Type and SpaceDog's own x-spacedog-*.
func allowedHeader(h string) bool {
	h = strings.ToLower(strings.TrimSpace(h))
	return h == "authorization" || h == "content-type" || strings.HasPrefix(h, "x-spacedog-")
}

// preflight answers a CORS preflight, for any route, and reports whether it did.
func (c cors) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" || len(c.origins) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := c.allowed(r.Header.Get("Origin"))
	if origin == "" {
		w.WriteHeader(http.StatusForbidden)
		return true
	}
	var headers []string
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(line, ",") {
			if name = strings.TrimSpace(name); name != "" && allowedHeader(name) {
				headers = append(headers, name)
			}
		}
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", strings.Join(append([]string{"Authorization", "Content-Type"}, headers...), ", "))
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}

// decorate marks a response as readable by the request's origin; it
// never answers.
func (c cors) decorate(w http.ResponseWriter, r *http.Request) bool {
	if len(c.origins) == 0 {
		return false
	}
	w.Header().Add("Vary", "Origin")
	if origin := c.allowed(r.Header.Get("Origin")); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "Allow")
	}
	return false
}
