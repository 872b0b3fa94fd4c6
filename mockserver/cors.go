package mockserver

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// cors lets pages of the allowed origins call the API from a browser. By
// default they are local pages only, as Vite's since CVE-2025-24010: a page
// of any other site must not read the developer's data.
type cors struct {
	origins []string // "*" for any; none: local pages (localOrigin)
}

// corsMethods and the headers SpaceDog clients send.
const (
	corsMethods = "GET, POST, PUT, DELETE, OPTIONS"
	corsMaxAge  = "600"
)

// allowed is the Access-Control-Allow-Origin answered to origin, or "".
func (c cors) allowed(origin string) string {
	switch {
	case origin == "":
		return ""
	case len(c.origins) == 0 && localOrigin(origin):
		return origin
	case slices.Contains(c.origins, "*"):
		return "*"
	case slices.Contains(c.origins, origin):
		return origin
	}
	return ""
}

// localOrigin reports whether an origin is a page of this machine: http or
// https, on localhost, a *.localhost name or a loopback address, any port.
func localOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.User != nil {
		return false
	}
	return loopbackName(u.Hostname())
}

// loopbackName reports whether a host name is this machine's by definition:
// localhost, a *.localhost name (RFC 6761) or a loopback address.
func loopbackName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// allowedHeader is a request header a page may send: Authorization,
// Content-Type and SpaceDog's own x-spacedog-*.
func allowedHeader(h string) bool {
	h = strings.ToLower(strings.TrimSpace(h))
	return h == "authorization" || h == "content-type" || strings.HasPrefix(h, "x-spacedog-")
}

// preflight answers a CORS preflight, for any route, and reports whether it
// did. The admin routes answer no page of another origin: their preflight
// is refused.
func (c cors) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := c.allowed(r.Header.Get("Origin"))
	if origin == "" || isAdmin(r) {
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

// decorate marks an API response as readable by the request's origin; it
// never answers. An admin route's response is marked for no origin.
func (c cors) decorate(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	if isAdmin(r) {
		return false
	}
	if origin := c.allowed(r.Header.Get("Origin")); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "Allow")
	}
	return false
}

// DescribeCORS says which pages Config.CORSOrigins lets call the API, as
// the command's start line tells it.
func DescribeCORS(origins []string) string {
	switch {
	case len(origins) == 0:
		return "pages on localhost, *.localhost and loopback addresses, any port (--cors-origins to change)"
	case slices.Contains(origins, "*"):
		return "pages of ANY origin: any site the browser opens can read and write the API's data (--cors-origins '*')"
	}
	return "pages of " + strings.Join(origins, ", ")
}
