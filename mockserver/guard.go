package mockserver

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
)

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
	res := s.profile.failure(http.StatusForbidden, "a page of origin [%s] may not change the mock's data: "+
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
