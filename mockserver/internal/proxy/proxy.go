// Package proxy forwards API requests to a real backend and judges its
// replies: a validating proxy, like Prism's, that also judges each batch
// result by the operation its sub-request routes to. It sends each request
// as it came, batches included: it never follows a path given inside a
// batch. Each reply comes with the ways the exchange breaks the profile's
// document; keeping and showing them is its user's.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/spec"
)

// Config sets up a Proxy.
type Config struct {
	Target *url.URL   // the backend, as ParseTarget returns it
	Spec   *spec.Spec // the profile's document, which replies are judged by
}

// Proxy forwards requests to one backend. It is safe for concurrent use.
type Proxy struct {
	cfg    Config
	client *http.Client
}

// ParseTarget checks a backend URL.
func ParseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("proxy %q: want the http(s) URL of a backend, such as https://mybackend.spacedog.io", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// Timeout bounds an exchange with the backend, body included: below the
// conformance suites' default --request-timeout (10 s), so that a backend
// that hangs or trickles reaches them as the proxy's 502 naming it, not as
// a proxy that does not answer.
const Timeout = 8 * time.Second

// New returns a proxy to cfg.Target.
func New(cfg Config) *Proxy {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: Timeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = Timeout
	transport.ResponseHeaderTimeout = Timeout
	transport.Proxy = nil // the backend is the one named, never through a proxy of the environment
	client := &http.Client{
		Timeout:   Timeout,
		Transport: transport,
		// The backend's redirect is its reply, passed on unchanged.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Proxy{cfg: cfg, client: client}
}

// Target is the backend's URL, its password hidden.
func (p *Proxy) Target() string { return p.cfg.Target.Redacted() }

// maxReply bounds a backend's reply the proxy holds to judge it.
const maxReply = 256 << 20

// hopHeaders are a connection's own, never forwarded (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// Reply is a backend's reply, answered unchanged, and how it was judged.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	// Findings are the ways the exchange breaks the profile's document.
	Findings []spec.Finding
}

// Client is where a request was sent, as the proxy tells the backend:
// the scheme and host the client sent it to, as its user reads them, and
// whether its peer is a proxy of this machine, whose own X-Forwarded-For
// goes on.
type Client struct {
	Scheme, Host string
	Local        bool
}

// Forward sends the request, whose body is given read, to the backend and
// returns its reply, judged by the profile's document. An error is a reply
// the backend did not give whole.
func (p *Proxy) Forward(r *http.Request, body []byte, client Client) (Reply, error) {
	target := p.cfg.Target
	out := *target
	out.Path += r.URL.Path
	out.RawPath = ""
	if r.URL.RawPath != "" {
		out.RawPath = target.EscapedPath() + r.URL.RawPath
	}
	out.RawQuery = r.URL.RawQuery
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, out.String(), bytes.NewReader(body))
	if err != nil {
		return Reply{}, fmt.Errorf("proxy: %v", err)
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	forwarded(req.Header, r, client)
	resp, err := p.client.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("proxy: the backend at %s did not answer: %v", target.Redacted(), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	switch {
	case err != nil:
		return Reply{}, fmt.Errorf("proxy: reading the backend's reply: %v", err)
	case len(got) > maxReply: // never a reply cut short, passed on as whole
		return Reply{}, fmt.Errorf("proxy: the backend's reply is over %d bytes, which the proxy does not hold", maxReply)
	}
	header := resp.Header.Clone()
	for _, h := range hopHeaders {
		header.Del(h)
	}
	for k := range header {
		if strings.HasPrefix(k, "Access-Control-") { // the mock's own CORS answers pages
			delete(header, k)
		}
	}
	findings := p.cfg.Spec.Inspect(r.Method, r.URL.EscapedPath(), body, resp.StatusCode, resp.Header, got)
	return Reply{Status: resp.StatusCode, Header: header, Body: got, Findings: findings}, nil
}

// forwarded says to the backend where the client sent its request, as a
// reverse proxy does, so that its locations and its backend are the
// client's: X-Forwarded-Host and -Proto are always the proxy's own words,
// never a client's, which would choose the backend's tenant; a peer's
// X-Forwarded-For is kept only from a proxy of this machine, and a
// Forwarded header, which says the same, never goes on from another peer.
func forwarded(h http.Header, r *http.Request, client Client) {
	h.Set("X-Forwarded-Host", client.Host)
	h.Set("X-Forwarded-Proto", client.Scheme)
	if !client.Local {
		h.Del("Forwarded")
		h.Del("X-Forwarded-For")
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := strings.Join(h.Values("X-Forwarded-For"), ", "); prior != "" {
			ip = prior + ", " + ip
		}
		h.Set("X-Forwarded-For", ip)
	}
}
