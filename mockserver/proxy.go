package mockserver

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/spacedog-oss/batchkit/mockserver/internal/proxy"
)

// Violation is one way a proxied backend's reply broke the profile's
// document, as GET /_mock/violations lists it.
type Violation = proxy.Violation

// ParseProxy checks a backend URL for Config.Proxy.
func ParseProxy(raw string) (*url.URL, error) { return proxy.ParseTarget(raw) }

func (s *Server) newProxy() *proxy.Proxy {
	return proxy.New(proxy.Config{
		Target: s.cfg.Proxy, Spec: s.spec, Keep: s.cfg.JournalSize,
		Show:   func(b []byte) json.RawMessage { return journalBody(b, false) },
		Logger: s.cfg.Logger,
	})
}

// forward answers a call from the backend: a body the backend did not
// give whole is a 502 in the profile's words.
func (s *Server) forward(c *call) response {
	reply, err := s.proxy.Forward(c.origin, c.body)
	if err != nil {
		return s.dialect.failure(http.StatusBadGateway, "%v", err)
	}
	return response{status: reply.Status, body: reply.Body, header: reply.Header}
}

// Violations counts the contract violations a proxying mock has seen since
// it started, those cleared from /_mock/violations included.
func (s *Server) Violations() int64 {
	if s.proxy == nil {
		return 0
	}
	return s.proxy.Seen()
}
