package mockserver

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Access: who may reach what, the stages before the admin routes and the
// API. The Host check (DNS rebinding), CORS for the pages of allowed
// origins, the guard of the admin routes (no other origin; the token), and
// the refusal of writes from pages CORS does not allow. Every refusal is
// journaled and logged, with what would allow it: a developer whose page
// meets "Failed to fetch" finds why in the log and on the page.

// Refusal is why the mock refused a request, or why the browser will hide
// its reply from the page that sent it, and what would allow it.
type Refusal struct {
	Reason string `json:"reason"`           // what was refused, and why
	Allow  string `json:"allow"`            // the flag, variable or header that would allow it, or why nothing does
	Origin string `json:"origin,omitempty"` // the origin of the page that sent it
	Host   string `json:"host,omitempty"`   // the Host refused
}

// refused journals and logs a request the mock refused, then answers it.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, res response, why Refusal) {
	start := time.Now()
	e := newEntry(r, start, s.cfg.Backend)
	if why.Host != "" {
		e.Backend = "" // a Host refused names no backend of the mock's
	}
	e.Status, e.Response, e.Refused = res.status, journalBody(res.body, true), &why
	e.DurationMs = millis(time.Since(start))
	s.journal.add(e)
	s.log(r.Context(), e)
	res.write(w)
}

// hostFlag names the setting that allows more hosts, in the refusal.
const hostFlag = "--allowed-hosts (SPACEDOG_MOCK_ALLOWED_HOSTS)"

// corsAllow says how to allow an origin, in a refusal.
func corsAllow(origin string) string {
	return fmt.Sprintf("--cors-origins %s (SPACEDOG_MOCK_CORS_ORIGINS=%s; comma-separated, or '*' for any)", origin, origin)
}

// checkHost refuses a request whose Host is not a name of this machine nor
// one allowed: a page of a domain its owner points at 127.0.0.1 would be of
// the mock's origin, and read it all (DNS rebinding; Vite's
// server.allowedHosts, CVE-2025-24010).
func (s *Server) checkHost(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.AllowedHosts == nil || hostAllowed(r.Host, s.cfg.AllowedHosts) {
		return false
	}
	name := hostName(r.Host)
	res := s.refuse(r, http.StatusForbidden, "host [%s] is not allowed: the mock answers IP addresses, localhost and *.localhost names, "+
		"and the hosts of %s: allow this one with --allowed-hosts %s", r.Host, hostFlag, name)
	s.refused(w, r, res, Refusal{
		Reason: fmt.Sprintf("host [%s] is not a name of this machine nor an allowed one (a guard against DNS rebinding)", r.Host),
		Allow:  fmt.Sprintf("--allowed-hosts %s (SPACEDOG_MOCK_ALLOWED_HOSTS=%s; comma-separated, .%s for it and its subdomains)", name, name, name),
		Host:   r.Host,
	})
	return true
}

// hostName is a Host header's name, without its port, in lower case.
func hostName(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
}

// hostAllowed reports whether a Host header names this machine (an IP
// address, localhost, *.localhost) or a host of the list: a name, ".name"
// for it and its subdomains, "*" for any.
func hostAllowed(hostport string, allowed []string) bool {
	host := hostName(hostport)
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

// corsMaxAge is how long a browser may keep a preflight's answer.
const corsMaxAge = "600"

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

// preflight answers a CORS preflight, for any route, and reports whether it
// did. A page of an allowed origin may send any method and any header: the
// origin is the guard, and a header or a method a preflight left out would
// fail in the browser, unseen, where the mock's own answer (a 405, an
// error naming the field) says what is wrong. The admin routes answer no
// page of another origin: their preflight is refused, as is every one from
// an origin CORS does not allow.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) bool {
	method := r.Header.Get("Access-Control-Request-Method")
	if r.Method != http.MethodOptions || method == "" {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := r.Header.Get("Origin")
	allowed := s.cors.allowed(origin)
	switch {
	case isAdmin(r):
		s.refuseOtherOrigin(w, r, fmt.Sprintf("[%s] is one", origin),
			fmt.Sprintf("the preflight of a %s from a page of origin [%s] to an admin route: the admin routes answer no page of another origin", method, origin))
		return true
	case allowed == "":
		res := s.dialect.failure(http.StatusForbidden, "a page of origin [%s] may not call the API: its origin is not allowed by --cors-origins (SPACEDOG_MOCK_CORS_ORIGINS)", origin)
		s.checkEnvelope(res)
		s.refused(w, r, res, Refusal{
			Reason: fmt.Sprintf("the preflight of a %s from a page of origin [%s]: CORS does not allow that origin, so the browser will not send the request", method, origin),
			Allow:  corsAllow(origin), Origin: origin,
		})
		return true
	}
	var headers []string
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(line, ",") {
			if name = strings.TrimSpace(name); isToken(name) {
				headers = append(headers, name)
			}
		}
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	h.Set("Access-Control-Allow-Methods", strings.ToUpper(method))
	h.Set("Access-Control-Allow-Headers", strings.Join(append([]string{"Authorization", "Content-Type"}, headers...), ", "))
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}

// unreadable is the refusal of a reply the browser will hide: the mock
// answers an API read from a page of an origin CORS does not allow, and
// the page sees "Failed to fetch". A page that asked for no reply
// (Sec-Fetch-Mode no-cors, a navigation) is not refused anything.
func (s *Server) unreadable(r *http.Request) *Refusal {
	origin := r.Header.Get("Origin")
	if origin == "" || s.cors.allowed(origin) != "" || sameOrigin(origin, r) {
		return nil
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode == "no-cors" || mode == "navigate" {
		return nil
	}
	return &Refusal{
		Reason: fmt.Sprintf("a page of origin [%s] sent it, and CORS does not allow that origin: the mock answered, the browser hides the reply from the page", origin),
		Allow:  corsAllow(origin), Origin: origin,
	}
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
	origin := r.Header.Get("Origin")
	if origin != "" && !sameOrigin(origin, r) {
		s.refuseOtherOrigin(w, r, fmt.Sprintf("[%s] is one", origin), fmt.Sprintf("an admin request from a page of origin [%s]", origin))
		return true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		s.refuseOtherOrigin(w, r, "this request is "+site, "an admin request from a page of another site (Sec-Fetch-Site: "+site+")")
		return true
	}
	if s.cfg.AdminToken != "" && !pageShell(r) && !tokenGiven(r.Header, s.cfg.AdminToken) {
		res := failure(http.StatusUnauthorized, "the admin routes need the token of --admin-token: send the header %s: Bearer TOKEN, or %s: TOKEN", "Authorization", TokenHeader)
		res.header = http.Header{"Www-Authenticate": {`Bearer realm="spacedog-mock"`}}
		reason := "an admin request without the token"
		if r.Header.Get(TokenHeader) != "" || strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			reason = "an admin request with a wrong token"
		}
		s.refused(w, r, res, Refusal{Reason: reason, Allow: "the token of --admin-token (SPACEDOG_MOCK_ADMIN_TOKEN), as Authorization: Bearer TOKEN or " + TokenHeader + ": TOKEN; the page asks for it", Origin: origin})
		return true
	}
	return false
}

// refuseOtherOrigin refuses an admin request, or its preflight, from a
// page of another origin: the message ends with which, the journal and
// the log say why.
func (s *Server) refuseOtherOrigin(w http.ResponseWriter, r *http.Request, which, why string) {
	res := failure(http.StatusForbidden, "the admin routes answer no page of another origin, and %s", which)
	s.refused(w, r, res, Refusal{Reason: why, Origin: r.Header.Get("Origin"),
		Allow: "nothing: the admin routes answer tools (no Origin) and the mock's own page, " + AdminPrefix})
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
	s.refused(w, r, res, Refusal{
		Reason: fmt.Sprintf("a %s from a page of origin [%s], which CORS does not allow: refused before it ran, so that no foreign page changes the data", r.Method, origin),
		Allow:  corsAllow(origin), Origin: origin,
	})
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
