// Package proxy forwards API requests to a real backend and judges its
// replies: a validating proxy, like Prism's, that also judges each batch
// result by the operation its sub-request routes to. It sends each request
// as it came, batches included: it never follows a path given inside a
// batch. It keeps the last violations it found, and counts them all.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/ring"
	"github.com/spacedog-oss/batchkit/spec"
)

// Config sets up a Proxy.
type Config struct {
	Target *url.URL   // the backend, as ParseTarget returns it
	Spec   *spec.Spec // the profile's document, which replies are judged by
	Keep   int        // the violations kept for listing

	// Show is a body as a violation keeps it.
	Show func(body []byte) json.RawMessage
	// Logger, when set, gets a warning for each violation.
	Logger *slog.Logger
}

// Proxy forwards requests to one backend. It is safe for concurrent use.
type Proxy struct {
	cfg    Config
	client *http.Client
	found  *ring.Ring[Violation]
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
	return &Proxy{cfg: cfg, client: client, found: ring.New[Violation](cfg.Keep)}
}

// Target is the backend's URL, its password hidden.
func (p *Proxy) Target() string { return p.cfg.Target.Redacted() }

// maxReply bounds a backend's reply the proxy holds to judge it.
const maxReply = 256 << 20

// hopHeaders are a connection's own, never forwarded (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// Reply is a backend's reply, answered unchanged.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Forward sends the request, whose body is given read, to the backend and
// returns its reply, after recording every way the exchange breaks the
// profile's document. An error is a reply the backend did not give whole.
func (p *Proxy) Forward(r *http.Request, body []byte) (Reply, error) {
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
	p.judge(r, body, resp, got)
	return Reply{Status: resp.StatusCode, Header: header, Body: got}, nil
}

// judge records the ways an exchange breaks the profile's document.
func (p *Proxy) judge(r *http.Request, body []byte, resp *http.Response, got []byte) {
	findings := p.cfg.Spec.Inspect(r.Method, r.URL.EscapedPath(), body, resp.StatusCode, resp.Header, got)
	for _, f := range findings {
		v := Violation{
			Time: time.Now().UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Index: f.Index, Operation: f.Operation, Pointer: f.Pointer, Keyword: f.Keyword, Message: firstLine(f.Err.Error()),
			Request: p.cfg.Show(body), Status: resp.StatusCode, Response: p.cfg.Show(got),
		}
		v.ID = p.found.Add(v)
		if p.cfg.Logger != nil {
			p.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "contract violation",
				slog.Int64("id", v.ID), slog.String("method", v.Method), slog.String("path", v.Path), slog.Int("index", v.Index),
				slog.String("operation", v.Operation), slog.String("pointer", v.Pointer), slog.String("message", v.Message))
		}
	}
}

// timeFormat is SpaceDog's: UTC, ISO-8601, milliseconds (DATA-1).
const timeFormat = "2006-01-02T15:04:05.000Z"

// firstLine is a validation error without the schema and value kin-openapi
// appends after it.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
