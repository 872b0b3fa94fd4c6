package mockserver

import (
	"net"
	"net/http"
	"strings"
)

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
	return s.profile.failure(status, format, args...)
}
