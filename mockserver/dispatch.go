package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/credentials"
	"github.com/spacedog-oss/batchkit/spec"
)

// call is one request on its way through dispatch: a direct request, or a
// sub-request made from a batch item.
type call struct {
	method   string
	rawPath  string // as sent: percent-encoded, maybe /v1/ or with a trailing /
	rawQuery string
	shown    string // the path as the request named it, for messages
	header   http.Header
	body     []byte
	// bodyValid says the body is known to be valid JSON: an item's payload
	// is a part of a batch body that was checked whole.
	bodyValid bool
	host      string
	item      int // index in the batch; -1 for a direct request

	backend string // from the Host of the direct request (CONTRACT §1)
	base    string // scheme://host that locations start with

	origin    *http.Request  // the direct request this call is or belongs to
	entry     *Entry         // its journal entry, where a batch notes its items
	dropAfter int            // a fault: the items a batch runs before its connection drops; -1: none
	delayed   *time.Duration // the fault delays the direct request and its items have waited, at most maxDelay in all
	faultRule int64          // the fault rule that applied to the call, for the journal

	// Set by dispatch for the operation.
	query   url.Values
	params  map[string]string // path parameters
	payload []byte            // the checked JSON body, for operations that take one
	user    string

	// identity, when set, is the header whose credentials the call runs
	// with, in place of its own: a profile's batch items run as the batch.
	identity http.Header
}

// directCall is the call of a direct request, whose body is read. A HEAD
// runs as the GET it stands for; net/http's server sends no body to it.
func directCall(r *http.Request, body []byte, e *Entry) *call {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return &call{
		method:    method,
		rawPath:   r.URL.EscapedPath(),
		shown:     r.URL.Path,
		rawQuery:  r.URL.RawQuery,
		header:    directHeader(r.Header),
		body:      body,
		host:      publicHost(r),
		item:      -1,
		backend:   e.Backend,
		base:      baseURL(r),
		entry:     e,
		dropAfter: -1,
		delayed:   new(time.Duration),
		origin:    r,
	}
}

// directHeader is a direct request's header as dispatch takes it: a copy,
// which dispatch may give a JSON Content-Type, without Content-Length, which
// would be wrong for the batch's items that share it.
func directHeader(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Content-Length")
	return h
}

// where prefixes the message of a fault in the request's form, which a batch
// item has in its fields: the item and the field for a sub-request.
func (c *call) where(field string) string {
	if c.item >= 0 {
		return fmt.Sprintf("batch item [%d]: field [%s]: ", c.item, field)
	}
	return field + ": "
}

// dispatch runs a request through the spec: path checks, routing, request
// validation, then the operation its operationId names. Direct requests and
// sub-requests alike come this way and only this way.
func (s *Server) dispatch(c *call) response {
	// A path's faults read the same directly and in a batch (ORD-4): the
	// item is well-formed, its index is its place in the reply.
	if err := checkPath(c.rawPath); err != nil {
		res := s.dialect.failure(http.StatusBadRequest, "path: %v", err)
		s.checkEnvelope(res)
		return res
	}
	if res, ok := s.fault(c); ok {
		return res
	}
	route, err := s.spec.FindRoute(c.method, c.rawPath)
	if err != nil {
		res := s.routeFailure(c, err)
		s.checkRouteFailure(c, err, res)
		return res
	}
	res := s.run(c, route)
	if s.cfg.SelfCheck != nil {
		req := &http.Request{Method: route.Method, URL: &url.URL{Path: route.Path, RawQuery: c.rawQuery}, Header: c.header, Host: c.host}
		err := s.spec.CheckResponse(route, req, res.status, http.Header{}, res.body)
		if err != nil {
			s.cfg.SelfCheck(fmt.Errorf("self-check: %w\nbody: %s", err, res.body))
		}
	}
	return res
}

// routeFailure answers a call that has no operation: a nested batch, by
// its path alone (ERR-6), a path that does not decode, no route (404) or
// another method (405).
func (s *Server) routeFailure(c *call, err error) response {
	var re *spec.RouteError
	errors.As(err, &re)
	switch {
	case c.item >= 0 && re.Template == batchPath:
		return s.nested(c)
	case errors.Is(err, spec.ErrBadPath):
		return s.dialect.failure(http.StatusBadRequest, "path: %v", err)
	case errors.Is(err, spec.ErrMethodNotAllowed):
		res := s.dialect.routeError(http.StatusMethodNotAllowed, c.method, c.shown, err)
		res.allow = re.Allow
		return res
	}
	return s.dialect.routeError(http.StatusNotFound, c.method, c.shown, err)
}

// checkRouteFailure self-checks the answer to a call without an operation:
// a 405 by the operation that describes it, when the document has one,
// any other by the envelope alone.
func (s *Server) checkRouteFailure(c *call, err error, res response) {
	var re *spec.RouteError
	if s.cfg.SelfCheck == nil || !errors.As(err, &re) || re.Route == nil || res.status != http.StatusMethodNotAllowed {
		s.checkEnvelope(res)
		return
	}
	header := http.Header{}
	if len(res.allow) > 0 {
		header.Set("Allow", strings.Join(res.allow, ", "))
	}
	req := &http.Request{Method: re.Route.Method, URL: &url.URL{Path: re.Route.Path}, Header: c.header, Host: c.host}
	if err := s.spec.CheckResponse(re.Route, req, res.status, header, res.body); err != nil {
		s.cfg.SelfCheck(fmt.Errorf("self-check: %w\nbody: %s", err, res.body))
	}
}

// batchPath is the document's path of the batch route.
const batchPath = "/1/batch"

// nested refuses a batch item whose path is the batch route, whatever its
// method: nesting is refused before the method is looked at (ERR-6).
func (s *Server) nested(c *call) response {
	return s.dialect.failure(http.StatusBadRequest, "%sa batch cannot hold a batch (%s)", c.where("path"), c.rawPath)
}

// run runs a routed call's operation: a nested batch refused, the query
// parsed, the credentials checked (once for a batch whose profile runs
// its items as the batch, else each item on its own), the parameters and
// the body checked by the operation's compiled checks, then the operation.
// Every refusal is an envelope in the profile's words.
func (s *Server) run(c *call, route *spec.Route) response {
	op := route.OperationID()
	if route.Path == batchPath && c.item >= 0 {
		return s.nested(c)
	}
	var query url.Values // most sub-requests have none
	if c.rawQuery != "" {
		var err error
		if query, err = url.ParseQuery(c.rawQuery); err != nil {
			return s.dialect.failure(http.StatusBadRequest, "query string: %v", err)
		}
	}
	who := c.credentials()
	_, _, hasCredentials := credentials.FromHeader(who)
	// A batch's items are checked one by one (SUB-4), unless the profile
	// checks the batch's credentials once, for all of them.
	checkBatch := op == "batch" && s.dialect.batchIdentity && hasCredentials
	switch {
	case signsIn(op): // its own answers to no credentials and to malformed ones
		if res, ok := s.checkSignIn(who, c.backend); !ok {
			return res
		}
	case s.cfg.Users != nil && (op != "batch" || checkBatch):
		if res, ok := s.authenticate(who, c.backend); !ok {
			return res
		}
	}
	// The operation's checks, compiled from the spec when it loaded.
	if err := route.Checks.CheckParams(route.PathParams, query); err != nil {
		return s.dialect.failure(http.StatusBadRequest, "%v", err)
	}
	// A batch's items are checked one by one (batch.go), so that a
	// malformed item fails alone, in its place (ERR-4).
	if op != "batch" && route.Checks.TakesBody() {
		// SpaceDog read every payload as JSON, whatever its Content-Type.
		if len(c.body) > 0 && !c.bodyValid && !json.Valid(c.body) {
			err := json.Unmarshal(c.body, new(json.RawMessage)) // says where
			return s.dialect.failure(http.StatusBadRequest, "body: not valid JSON: %v", err)
		}
		if err := route.Checks.CheckRawBody(c.body); err != nil {
			return s.dialect.failure(http.StatusBadRequest, "%v", err)
		}
		c.payload = c.body // checked: a JSON object, never decoded
	}
	c.query, c.params, c.user = query, route.PathParams, userOf(who)
	return s.ops[op](c)
}

// credentials are the headers whose credentials the call runs with: its
// own, or, for the item of a batch whose profile runs its items as the
// batch's caller, the batch's.
func (c *call) credentials() http.Header {
	if c.identity != nil {
		return c.identity
	}
	return c.header
}

// checkPath checks a path as sent (SEC-1): a path on this host, with no
// control character, no backslash (URL parsers read /\host as //host) and
// no ".." segment, encoded or not. Segments are decoded one by one, after
// the split, so an encoded "/" never separates them (CONTRACT §9).
func checkPath(raw string) error {
	if strings.HasPrefix(raw, "//") {
		return fmt.Errorf("[%s] is a URL of another host, not a path on this one", raw)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("[%q] holds a control character", raw)
	}
	for seg := range strings.SplitSeq(raw, "/") {
		dec, err := url.PathUnescape(seg)
		switch {
		case err != nil:
			return fmt.Errorf("[%s] is not a valid path: %v", raw, err)
		case strings.ContainsRune(dec, '\\'):
			return fmt.Errorf("[%s] holds a backslash, which URL parsers read as a slash", raw)
		case dec == "..":
			return fmt.Errorf("[%s] holds a '..' segment", raw)
		case strings.ContainsFunc(dec, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return fmt.Errorf("[%s] holds an encoded control character", raw)
		}
	}
	return nil
}

// note records batch items in the journal entry of their batch.
func (c *call) note(subs ...SubEntry) {
	if c.entry != nil {
		c.entry.SubRequests = append(c.entry.SubRequests, subs...)
	}
}

// Request identity: the backend a request addresses, its user, its base URL.

// publicHost is the Host the client sent its request to (publicOrigin).
func publicHost(r *http.Request) string {
	_, host := publicOrigin(r)
	return host
}

// backendOf names the backend a Host addresses (CONTRACT §1): its first label
// when it ends in .localhost or has three labels or more, else def. The
// error says why that label cannot name a backend (checkBackend).
func backendOf(host, def string) (string, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return def, nil
	}
	label, _, _ := strings.Cut(host, ".")
	if strings.HasSuffix(host, ".localhost") || strings.Count(host, ".") >= 2 {
		return label, checkBackend(label)
	}
	return def, nil
}

// refuseBadBackend refuses an API request whose Host names no backend the
// mock could keep: a first label such as my_app, or none at all in
// .localhost, is not a DNS label (CONTRACT §1), and a state file holding
// it would not load again.
func (s *Server) refuseBadBackend(w http.ResponseWriter, r *http.Request) bool {
	host := publicHost(r)
	_, err := backendOf(host, s.cfg.Backend)
	if err == nil {
		return false
	}
	named := "host [" + host + "]"
	if host != r.Host {
		named += " (X-Forwarded-Host)"
	}
	res := s.dialect.failure(http.StatusBadRequest, "%s names no backend: %v", named, err)
	s.checkEnvelope(res)
	s.refused(w, r, res, Refusal{
		Reason: fmt.Sprintf("%s names no backend: %v", named, err),
		Allow:  "a host whose first label names the backend, like shop.localhost; localhost and IP addresses reach --backend",
		Host:   host,
	})
	return true
}

// userOf is the username of a header's Basic credentials, or anonymous.
func userOf(h http.Header) string {
	if u, _, ok := credentials.FromHeader(h); ok && u != "" {
		return u
	}
	return "anonymous"
}

// baseURL is the scheme and host that objects' locations start with: the
// client's, as publicOrigin reads them.
func baseURL(r *http.Request) string {
	scheme, host := publicOrigin(r)
	return scheme + "://" + host
}

// publicOrigin is the scheme and Host the client sent its request to. A
// proxy on this machine (a frontend's dev server, the mock's own --proxy)
// says them in X-Forwarded-Proto and X-Forwarded-Host, the first hop's
// first; from any other peer those headers are not believed. The backend
// and the locations follow them; the Host check and CORS read the Host the
// mock itself was sent. An X-Forwarded-Host that is not a host[:port] is
// not believed either.
func publicOrigin(r *http.Request) (scheme, host string) {
	scheme, host = "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if !fromLoopback(r) {
		return scheme, host
	}
	if fh := firstOf(r.Header.Get("X-Forwarded-Host")); hostPort(fh) {
		host = fh
	}
	if fp := strings.ToLower(firstOf(r.Header.Get("X-Forwarded-Proto"))); fp == "http" || fp == "https" {
		scheme = fp
	}
	return scheme, host
}

// hostPort reports whether s is a host, or a host:port, and nothing more:
// no user info, path, space or control character.
func hostPort(s string) bool {
	if s == "" || strings.ContainsAny(s, "/\\@?#") {
		return false
	}
	u, err := url.Parse("http://" + s)
	return err == nil && u.Host == s
}

// firstOf is the first of a header's comma-separated values.
func firstOf(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// fromLoopback reports whether a request came from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}
