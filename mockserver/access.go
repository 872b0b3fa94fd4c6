package mockserver

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Access: who may reach what, the stages before the admin routes and the
// API. The Host check (DNS rebinding), CORS for the pages of allowed
// origins, the guard of the admin routes (no other origin; the token), and
// the refusal of writes from pages CORS does not allow.

// hostFlag names the setting that allows more hosts, in the refusal.
const hostFlag = "--allowed-hosts (SPACEDOG_MOCK_ALLOWED_HOSTS)"

// checkHost refuses a request whose Host is not a name of this machine nor
// one allowed: a page of a domain its owner points at 127.0.0.1 would be of
// the mock's origin, and read it all (DNS rebinding; Vite's
// server.allowedHosts, CVE-2025-24010).
func (s *Server) checkHost(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.AllowedHosts == nil || hostAllowed(r.Host, s.cfg.AllowedHosts) {
		return false
	}
	s.refuse(r, http.StatusForbidden, "host [%s] is not allowed: the mock answers IP addresses, localhost and *.localhost names, "+
		"and the hosts of %s", r.Host, hostFlag).write(w)
	return true
}

// hostAllowed reports whether a Host header names this machine (an IP
// address, localhost, *.localhost) or a host of the list: a name, ".name"
// for it and its subdomains, "*" for any.
func hostAllowed(hostport string, allowed []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" || net.ParseIP(host) != nil || loopbackName(host) {
		return true // no Host is HTTP/1.0, never a browser's
	}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSuffix(a, "."))
		switch {
		case a == "*", a == host:
			return true
		case strings.HasPrefix(a, ".") && (host == a[1:] || strings.HasSuffix(host, a)):
			return true
		}
	}
	return false
}

// refuse is the error envelope of a request the mock will not serve: in
// the profile's words on the API, in the doc profile's on the admin routes.
func (s *Server) refuse(r *http.Request, status int, format string, args ...any) response {
	if isAdmin(r) {
		return failure(status, format, args...)
	}
	return s.dialect.failure(status, format, args...)
}

// CORS.

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

// The admin routes' guard, and the refusal of foreign writes.

// isAdmin reports whether a request is for the mock's own routes.
func isAdmin(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, AdminPrefix) }

// guardAdmin refuses the admin routes to pages of other origins, which
// could otherwise read every object and the journal, reset the data and
// install faults: a request whose Origin is not the mock's own, or whose
// Sec-Fetch-Site says another site made it, gets a 403. Tools send
// neither. With Config.AdminToken, every admin request needs the token.
func (s *Server) guardAdmin(w http.ResponseWriter, r *http.Request) bool {
	if !isAdmin(r) {
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
		failure(http.StatusForbidden, "the admin routes answer no page of another origin, and [%s] is one", origin).write(w)
		return true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		failure(http.StatusForbidden, "the admin routes answer no page of another origin, and this request is %s", site).write(w)
		return true
	}
	if s.cfg.AdminToken != "" && !pageShell(r) && !tokenGiven(r.Header, s.cfg.AdminToken) {
		res := failure(http.StatusUnauthorized, "the admin routes need the token of --admin-token: send the header %s: Bearer TOKEN, or %s: TOKEN", "Authorization", TokenHeader)
		res.header = http.Header{"Www-Authenticate": {`Bearer realm="spacedog-mock"`}}
		res.write(w)
		return true
	}
	return false
}

// TokenHeader carries the admin token, for tools whose Authorization
// header is taken by the API's own credentials.
const TokenHeader = "X-Mock-Token"

// tokenGiven reports whether a header carries the token, compared in
// constant time: no timing oracle.
func tokenGiven(h http.Header, token string) bool {
	given := h.Get(TokenHeader)
	if bearer, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok && given == "" {
		given = strings.TrimSpace(bearer)
	}
	return given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(token)) == 1
}

// refuseForeignWrites refuses, before it runs, an API request that may
// change data (any method but GET, HEAD and OPTIONS: every batch) from a
// page whose origin CORS does not allow. A page needs no CORS to send a
// form or a no-cors fetch: it cannot read the answer, but the write would
// be done. Reads stay governed by CORS alone.
func (s *Server) refuseForeignWrites(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || sameOrigin(origin, r) || s.cors.allowed(origin) != "" {
		return false
	}
	res := s.dialect.failure(http.StatusForbidden, "a page of origin [%s] may not change the mock's data: "+
		"its origin is not allowed by --cors-origins (SPACEDOG_MOCK_CORS_ORIGINS)", origin)
	s.checkEnvelope(res)
	res.write(w)
	return true
}

// sameOrigin reports whether an Origin header is the origin the request
// was sent to: its scheme, its Host, the default ports made explicit.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" too: a sandboxed page or a file
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(withPort(u.Host, scheme), withPort(r.Host, scheme))
}

// withPort is a host:port, the scheme's default port given when none is.
func withPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if scheme == "https" {
		return net.JoinHostPort(strings.Trim(host, "[]"), "443")
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "80")
}
