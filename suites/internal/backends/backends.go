// Package backends gives a run the target's backends beside its own host,
// for the checks of isolation (CONTRACT §1: no backend ever sees another's
// data), and dials the *.localhost names they go by on loopback.
//
// A backend is the first label of a request's Host. A target on loopback
// takes *.localhost names, as the contract says every server does; any
// other target names its backends by --backend-hosts: a template holding
// {backend} ("{backend}.staging.example.com"), whose backends the run
// names and so owns, or a comma-separated list of hosts, the user's.
package backends

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Template is the one --backend-hosts stands for on a loopback target.
const Template = "{backend}.localhost"

// Backend is one backend of the target.
type Backend struct {
	Name string // as the server reads it: the Host's first label
	Base string // scheme://host[:port][/path], as requests to it are sent: the target's path too
	// Own says the run named it, from a template: nobody else's data is in
	// it, so that even the routes of every type may be used.
	Own bool
}

// Of returns n backends of the target, given its base URL and the
// --backend-hosts setting; names are used in a template, in order; hosts
// listed by the user are taken in order, n of them at most. With none to
// give, it says why and what to set.
func Of(target, setting string, names []string) ([]Backend, string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, "", err
	}
	if setting == "" {
		if !IsLoopback(u.Hostname()) {
			return nil, "needs backends beside the target's own host: give --backend-hosts (SPACEDOG_BACKEND_HOSTS), a template such as '{backend}.staging.example.com' or a comma-separated list of hosts", nil
		}
		setting = Template
	}
	port := u.Port()
	withPort := func(host string) string {
		if port != "" && !strings.Contains(host, ":") {
			return net.JoinHostPort(host, port)
		}
		return host
	}
	var out []Backend
	if strings.Contains(setting, "{backend}") {
		for _, name := range names {
			host := withPort(strings.ReplaceAll(setting, "{backend}", name))
			out = append(out, Backend{Name: name, Base: u.Scheme + "://" + host + strings.TrimSuffix(u.Path, "/"), Own: true})
		}
		return out, "", nil
	}
	for _, host := range strings.Split(setting, ",") {
		if host = strings.TrimSpace(host); host != "" && len(out) < len(names) {
			label, _, _ := strings.Cut(host, ".")
			out = append(out, Backend{Name: label, Base: u.Scheme + "://" + withPort(host) + strings.TrimSuffix(u.Path, "/")})
		}
	}
	if len(out) < len(names) {
		return nil, "", fmt.Errorf("--backend-hosts lists %d hosts, the run needs %d", len(out), len(names))
	}
	return out, "", nil
}

// IsLoopback reports whether a host name is this machine's: localhost, a
// *.localhost name, or a loopback address.
func IsLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Dial dials as d does, but a *.localhost name at the target's own
// address when the target is on loopback (127.0.0.1, [::1], localhost), as
// RFC 6761 has every resolver take such names to loopback and Go's does
// not: a backend of a local target is reached where the target is.
func Dial(d *net.Dialer, target string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	at := "127.0.0.1"
	if u, err := url.Parse(target); err == nil && IsLoopback(u.Hostname()) && !strings.HasSuffix(strings.ToLower(u.Hostname()), ".localhost") {
		at = u.Hostname()
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".localhost") {
			addr = net.JoinHostPort(at, port)
		}
		return d.DialContext(ctx, network, addr)
	}
}
