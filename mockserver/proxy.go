package mockserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver/internal/proxy"
	"github.com/spacedog-oss/batchkit/spec"
)

// The proxy: a mock with Config.Proxy forwards the API's requests to a real
// backend (internal/proxy), answers its replies unchanged, and keeps each
// way they break the profile's document as a violation.

// ParseProxy checks a backend URL for Config.Proxy.
func ParseProxy(raw string) (*url.URL, error) { return proxy.ParseTarget(raw) }

func (s *Server) newProxy() *proxy.Proxy {
	return proxy.New(proxy.Config{Target: s.cfg.Proxy, Spec: s.spec})
}

// forward answers a call from the backend: a body the backend did not
// give whole is a 502 in the profile's words.
func (s *Server) forward(c *call) response {
	scheme, host := publicOrigin(c.origin)
	reply, err := s.proxy.Forward(c.origin, c.body, proxy.Client{Scheme: scheme, Host: host, Local: fromLoopback(c.origin)})
	if err != nil {
		return s.dialect.failure(http.StatusBadGateway, "%v", err)
	}
	for _, f := range reply.Findings {
		s.violated(c.origin, c.body, reply, f)
	}
	return response{status: reply.Status, body: reply.Body, header: reply.Header}
}

// Violation is one way a proxied backend's reply broke the profile's
// document, as GET /_mock/violations lists it.
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

// violated keeps a finding of an exchange with the backend as a violation,
// and logs it.
func (s *Server) violated(r *http.Request, body []byte, reply proxy.Reply, f spec.Finding) {
	v := Violation{
		Time: time.Now().UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Index: f.Index, Operation: f.Operation, Pointer: f.Pointer, Keyword: f.Keyword, Message: firstLine(f.Err.Error()),
		Request: journalBody(body, false), Status: reply.Status, Response: journalBody(reply.Body, false),
	}
	v.ID = s.violations.Add(v)
	if s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "contract violation",
			slog.Int64("id", v.ID), slog.String("method", v.Method), slog.String("path", v.Path), slog.Int("index", v.Index),
			slog.String("operation", v.Operation), slog.String("pointer", v.Pointer), slog.String("message", v.Message))
	}
}

// firstLine is a validation error without the schema and value kin-openapi
// appends after it.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// listViolations lists the violations kept, oldest first.
func (s *Server) listViolations(w http.ResponseWriter, r *http.Request) {
	items := s.violations.Items()
	out := make([]Violation, len(items))
	for i, it := range items {
		out[i] = it.V
		out[i].ID = it.N
	}
	writeJSON(w, out)
}

// clearViolations forgets the violations kept; Violations still counts them.
func (s *Server) clearViolations(w http.ResponseWriter, r *http.Request) {
	s.violations.Clear()
	done().write(w)
}

// Violations counts the contract violations a proxying mock has seen since
// it started, those cleared from /_mock/violations included.
func (s *Server) Violations() int64 { return s.violations.Added() }
