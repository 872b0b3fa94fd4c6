package mockserver

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
	"sync"
	"time"
)

// proxy forwards API requests to a real backend and judges its replies: a
// validating proxy, like Prism's, that also judges each batch result by the
// operation its sub-request routes to. It sends each request as it came,
// batches included: it never follows a path given inside a batch.
type proxy struct {
	target *url.URL
	client *http.Client
	found  violations
}

// ParseProxy checks a backend URL for Config.Proxy.
func ParseProxy(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("proxy %q: want the http(s) URL of a backend, such as https://mybackend.spacedog.io", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// proxyTimeout bounds an exchange with the backend, body included: below
// the conformance suites' default --request-timeout (10 s), so that a
// backend that hangs or trickles reaches them as the proxy's 502 naming
// it, not as a proxy that does not answer.
const proxyTimeout = 8 * time.Second

func newProxy(target *url.URL, keep int) *proxy {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: proxyTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = proxyTimeout
	transport.ResponseHeaderTimeout = proxyTimeout
	transport.Proxy = nil // the backend is the one named, never through a proxy of the environment
	client := &http.Client{
		Timeout:   proxyTimeout,
		Transport: transport,
		// The backend's redirect is its reply, passed on unchanged.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &proxy{target: target, client: client, found: violations{size: keep}}
}

// maxProxiedReply bounds a backend's reply the proxy holds to judge it.
const maxProxiedReply = 256 << 20

// hopHeaders are a connection's own, never forwarded (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// forward sends the request to the backend and answers its reply, then
// records every way the exchange breaks the profile's document.
func (s *Server) forward(r *http.Request, c *call) response {
	p := s.proxy
	out := *p.target
	out.Path += r.URL.Path
	out.RawPath = ""
	if r.URL.RawPath != "" {
		out.RawPath = p.target.EscapedPath() + r.URL.RawPath
	}
	out.RawQuery = r.URL.RawQuery
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, out.String(), bytes.NewReader(c.body))
	if err != nil {
		return s.profile.failure(http.StatusBadGateway, "proxy: %v", err)
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return s.profile.failure(http.StatusBadGateway, "proxy: the backend at %s did not answer: %v", p.target.Redacted(), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProxiedReply+1))
	switch {
	case err != nil:
		return s.profile.failure(http.StatusBadGateway, "proxy: reading the backend's reply: %v", err)
	case len(body) > maxProxiedReply: // never a reply cut short, passed on as whole
		return s.profile.failure(http.StatusBadGateway, "proxy: the backend's reply is over %d bytes, which the proxy does not hold", maxProxiedReply)
	}
	header := resp.Header.Clone()
	for _, h := range hopHeaders {
		header.Del(h)
	}
	if len(s.cfg.CORSOrigins) > 0 {
		for k := range header {
			if strings.HasPrefix(k, "Access-Control-") { // the mock's CORS answers pages
				delete(header, k)
			}
		}
	}
	findings := s.spec.Inspect(r.Method, r.URL.EscapedPath(), c.body, resp.StatusCode, resp.Header, body)
	for _, f := range findings {
		v := p.found.add(Violation{
			Time: time.Now().UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Index: f.Index, Operation: f.Operation, Pointer: f.Pointer, Keyword: f.Keyword, Message: firstLine(f.Err.Error()),
			Request: journalBody(c.body, false), Status: resp.StatusCode, Response: journalBody(body, false),
		})
		if s.cfg.Logger != nil {
			s.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "contract violation",
				slog.Int64("id", v.ID), slog.String("method", v.Method), slog.String("path", v.Path), slog.Int("index", v.Index),
				slog.String("operation", v.Operation), slog.String("pointer", v.Pointer), slog.String("message", v.Message))
		}
	}
	return response{status: resp.StatusCode, body: body, header: header}
}

// firstLine is a validation error without the schema and value kin-openapi
// appends after it.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Violation is one way a backend's reply broke the profile's document.
type Violation struct {
	ID        int64           `json:"id"`
	Time      string          `json:"time"`
	Method    string          `json:"method"`
	Path      string          `json:"path"`
	Query     string          `json:"query,omitempty"`
	Index     int             `json:"index"`               // the batch result's index; -1 for the reply itself
	Operation string          `json:"operation,omitempty"` // the operationId the reply or result was judged by
	Pointer   string          `json:"pointer,omitempty"`   // where in the body or result, a JSON pointer
	Keyword   string          `json:"keyword,omitempty"`   // the schema keyword that failed
	Message   string          `json:"message"`
	Status    int             `json:"status"`
	Request   json.RawMessage `json:"request,omitempty"`  // the body sent, as the journal keeps it
	Response  json.RawMessage `json:"response,omitempty"` // the body answered
}

// violations keeps the last violations in order, and counts them all.
type violations struct {
	mu    sync.Mutex
	size  int
	total int64
	list  []Violation
}

func (v *violations) add(x Violation) Violation {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.total++
	x.ID = v.total
	v.list = append(v.list, x)
	if len(v.list) > v.size {
		v.list = append(v.list[:0], v.list[len(v.list)-v.size:]...)
	}
	return x
}

func (v *violations) all() []Violation {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Violation{}, v.list...)
}

func (v *violations) count() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.total
}

func (v *violations) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.list = nil
}

// Violations counts the contract violations a proxying mock has seen since
// it started, those cleared from /_mock/violations included.
func (s *Server) Violations() int64 {
	if s.proxy == nil {
		return 0
	}
	return s.proxy.found.count()
}

func (s *Server) listViolations(w http.ResponseWriter, r *http.Request) {
	if s.proxy == nil {
		writeJSON(w, []Violation{})
		return
	}
	writeJSON(w, s.proxy.found.all())
}

func (s *Server) clearViolations(w http.ResponseWriter, r *http.Request) {
	if s.proxy != nil {
		s.proxy.found.clear()
	}
	done().write(w)
}
