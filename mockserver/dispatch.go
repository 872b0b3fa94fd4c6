package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/spacedog-oss/batchkit/spec"
)

// call is one request on its way through dispatch: a direct request, or a
// sub-request made from a batch item.
type call struct {
	method   string
	rawPath  string // as sent: percent-encoded, maybe /v1/ or with a trailing /
	rawQuery string
	header   http.Header
	body     []byte
	host     string
	item     int // index in the batch; -1 for a direct request

	backend string // from the Host of the direct request (CONTRACT §1)
	base    string // scheme://host that locations start with

	origin    *http.Request // the direct request this call is or belongs to
	entry     *Entry        // its journal entry, where a batch notes its items
	dropAfter int           // a fault: the items a batch runs before its connection drops; -1: none

	// Set by dispatch for the operation.
	query   url.Values
	params  map[string]string // path parameters
	payload map[string]any    // the validated JSON body, for operations that take one
	user    string
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
	path, err := cleanPath(c.rawPath)
	if err != nil {
		res := failure(http.StatusBadRequest, "%s%v", c.where("path"), err)
		s.checkEnvelope(res)
		return res
	}
	if res, ok := s.fault(c, path); ok {
		return res
	}
	req := &http.Request{
		Method: c.method,
		URL:    &url.URL{Path: path, RawQuery: c.rawQuery},
		Header: c.header, // the call's own: a sub-request's is merged afresh
		Host:   c.host,
	}
	route, err := s.spec.RouteRequest(req)
	if err != nil {
		var re *spec.RouteError
		errors.As(err, &re)
		res := failure(http.StatusNotFound, "%v", err)
		if errors.Is(err, spec.ErrMethodNotAllowed) {
			res = failure(http.StatusMethodNotAllowed, "%v", err)
			res.allow = re.Allow
		}
		s.checkEnvelope(res)
		return res
	}
	res := s.run(c, route, req)
	if s.cfg.SelfCheck != nil {
		err := s.spec.CheckResponse(route, req, res.status, http.Header{}, res.body)
		if err != nil {
			s.cfg.SelfCheck(fmt.Errorf("self-check: %w\nbody: %s", err, res.body))
		}
	}
	return res
}

func (s *Server) run(c *call, route *spec.Route, req *http.Request) response {
	op := route.OperationID()
	if op == "batch" && c.item >= 0 {
		return failure(http.StatusBadRequest, "%sa batch cannot hold a batch (%s)", c.where("path"), c.rawPath)
	}
	query, err := url.ParseQuery(c.rawQuery)
	if err != nil {
		return failure(http.StatusBadRequest, "query string: %v", err)
	}
	if s.cfg.Users != nil && op != "batch" {
		if res, ok := s.authenticate(req); !ok {
			return res
		}
	}
	opts := &s.validate
	if op == "batch" {
		// A batch's items are validated one by one (batch.go), so that a
		// malformed item fails alone, in its place (ERR-4).
		opts = &s.validateBatch
	} else if route.Operation.RequestBody != nil && len(c.body) > 0 && !json.Valid(c.body) {
		if err := json.Unmarshal(c.body, new(json.RawMessage)); err != nil {
			return failure(http.StatusBadRequest, "body: not valid JSON: %v", err)
		}
	}
	if len(c.body) > 0 {
		// SpaceDog read every payload as JSON, whatever its Content-Type.
		req.Header.Set("Content-Type", "application/json")
		req.Body = io.NopCloser(bytes.NewReader(c.body))
		req.ContentLength = int64(len(c.body))
	}
	in := &openapi3filter.RequestValidationInput{
		Request:     req,
		PathParams:  route.PathParams,
		QueryParams: query,
		Route:       route.Route,
		Options:     opts,
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return failure(http.StatusBadRequest, "%s", describe(err))
	}
	if v, ok := req.Body.(interface{ ValidatedValue() any }); ok {
		c.payload, _ = v.ValidatedValue().(map[string]any)
	}
	c.query, c.params, c.user = query, route.PathParams, userOf(req)
	return s.ops[op](c)
}

// cleanPath checks a path as sent (SEC-1) and decodes it.
func cleanPath(raw string) (string, error) {
	if strings.HasPrefix(raw, "//") {
		return "", fmt.Errorf("[%s] is a URL of another host, not a path on this one", raw)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("[%q] holds a control character", raw)
	}
	path, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("[%s] is not a valid path: %v", raw, err)
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == ".." {
			return "", fmt.Errorf("[%s] holds a '..' segment", raw)
		}
	}
	if strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("[%s] holds an encoded control character", raw)
	}
	return path, nil
}

// note records a batch item in the journal entry of its batch.
func (c *call) note(sub SubEntry) {
	if c.entry != nil {
		c.entry.SubRequests = append(c.entry.SubRequests, sub)
	}
}

// authenticate checks a request's Basic credentials against the users the
// mock enforces: without valid ones, a 401 (for a batch item, in place).
func (s *Server) authenticate(req *http.Request) (response, bool) {
	user, password, ok := req.BasicAuth()
	switch {
	case !ok:
		return failure(http.StatusUnauthorized, "credentials required: send the Basic credentials of a user"), false
	case s.cfg.Users[user] == "" || s.cfg.Users[user] != password:
		return failure(http.StatusUnauthorized, "invalid credentials for user [%s]", user), false
	}
	return response{}, true
}
