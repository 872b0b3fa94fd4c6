package spec

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// router finds operations by the document's path templates, compiled once
// when the document loads. It splits a path on "/" before it decodes any
// segment, so that a %2F stays inside the segment it stands in (CONTRACT
// §9, SEC-1): a request acts on the object its path names, or on none.
type router struct {
	doc    *openapi3.T
	routes [][]template // by segment count
}

// template is one path of the document, split into segments.
type template struct {
	path  string
	segs  []string // a literal, or "" for a parameter
	names []string // the parameters' names, in order
	item  *openapi3.PathItem
	ops   map[string]*routers.Route // by method, made once
	// refused are the operations marked x-method-not-allowed, by method:
	// they describe a 405 reply, and no request runs them.
	refused map[string]*routers.Route
}

// MethodNotAllowedExt marks an operation that describes the 405 a path
// answers to a method it lacks: the document says what that reply is, so
// that a validating proxy can check it, and the router does not route it.
const MethodNotAllowedExt = "x-method-not-allowed"

// MethodNotAllowed reports whether an operation only describes a 405.
func MethodNotAllowed(op *openapi3.Operation) bool {
	v, _ := op.Extensions[MethodNotAllowedExt].(bool)
	return v
}

func newRouter(doc *openapi3.T) (*router, error) {
	r := &router{doc: doc}
	for _, path := range doc.Paths.InMatchingOrder() {
		t := template{path: path, item: doc.Paths.Value(path), ops: map[string]*routers.Route{}, refused: map[string]*routers.Route{}}
		for method, op := range t.item.Operations() {
			route := &routers.Route{Spec: doc, Path: path, PathItem: t.item, Method: method, Operation: op}
			if MethodNotAllowed(op) {
				t.refused[method] = route
				continue
			}
			t.ops[method] = route
		}
		for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				name, ok = strings.CutSuffix(name, "}")
				if !ok || name == "" || strings.ContainsAny(name, "{}") {
					return nil, fmt.Errorf("spec: path %s: segment %q is neither a literal nor one {parameter}", path, seg)
				}
				t.segs, t.names = append(t.segs, ""), append(t.names, name)
				continue
			}
			if strings.ContainsAny(seg, "{}") {
				return nil, fmt.Errorf("spec: path %s: segment %q mixes a literal and a parameter", path, seg)
			}
			t.segs = append(t.segs, seg)
		}
		for len(r.routes) <= len(t.segs) {
			r.routes = append(r.routes, nil)
		}
		r.routes[len(t.segs)] = append(r.routes[len(t.segs)], t)
	}
	// Literals win over parameters: among templates of one length, the one
	// whose first parameter comes latest is tried first.
	for _, ts := range r.routes {
		slices.SortStableFunc(ts, func(a, b template) int { return firstParam(b) - firstParam(a) })
	}
	return r, nil
}

func firstParam(t template) int {
	if i := slices.Index(t.segs, ""); i >= 0 {
		return i
	}
	return len(t.segs)
}

// Errors of FindRoute, matched with errors.Is.
var (
	ErrNoRoute          = errors.New("no route")
	ErrMethodNotAllowed = errors.New("method not allowed")
	ErrBadPath          = errors.New("bad path")
)

// RouteError says why a method and path have no operation.
type RouteError struct {
	Method, Path string
	Template     string   // the document's path it matched, for ErrMethodNotAllowed
	Allow        []string // the path's methods, for ErrMethodNotAllowed
	// Route is the operation that describes this 405, for
	// ErrMethodNotAllowed when the document has one (MethodNotAllowedExt).
	Route *Route
	Err   error
}

func (e *RouteError) Error() string {
	switch {
	case errors.Is(e.Err, ErrMethodNotAllowed):
		return fmt.Sprintf("method [%s] not allowed on path [%s]; allowed: %s", e.Method, e.Path, strings.Join(e.Allow, ", "))
	case errors.Is(e.Err, ErrBadPath):
		return fmt.Sprintf("path [%s]: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("no route for path [%s]", e.Path)
}

func (e *RouteError) Unwrap() error { return e.Err }

// Route is an operation of the document found for a request.
type Route struct {
	*routers.Route
	PathParams map[string]string
	Checks     *Checks // the operation's request checks, compiled
}

// OperationID is the operation's operationId.
func (r *Route) OperationID() string { return r.Operation.OperationID }

// NormalizePath maps a path to the form the document's paths use: the legacy
// root /v1/ becomes /1/ and a trailing slash is dropped (SUB-5).
func NormalizePath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/v1/"); ok {
		p = "/1/" + rest
	} else if p == "/v1" {
		p = "/1"
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// FindRoute finds the operation of a method (any case) and a path as sent:
// percent-encoded, maybe with the legacy root or a trailing slash. Each
// segment is decoded on its own, after the split. The error is a
// *RouteError; a path of the batch route with another method is
// ErrMethodNotAllowed with Template "/1/batch", so that callers can tell
// the batch route by its path alone.
func (s *Spec) FindRoute(method, rawPath string) (*Route, error) {
	method = strings.ToUpper(method)
	var buf [8]string // room for the document's paths: no allocation
	segs := buf[:0]
	for seg := range strings.SplitSeq(strings.TrimPrefix(NormalizePath(rawPath), "/"), "/") {
		dec, err := unescape(seg)
		if err != nil {
			return nil, &RouteError{Method: method, Path: rawPath, Err: fmt.Errorf("%w: segment %d: %v", ErrBadPath, len(segs), err)}
		}
		segs = append(segs, dec)
	}
	if len(segs) >= len(s.router.routes) {
		return nil, &RouteError{Method: method, Path: rawPath, Err: ErrNoRoute}
	}
	for _, t := range s.router.routes[len(segs)] {
		if !t.matches(segs) {
			continue
		}
		route := t.ops[method]
		if route == nil {
			re := &RouteError{Method: method, Path: rawPath, Template: t.path, Allow: t.allow(), Err: ErrMethodNotAllowed}
			if refused := t.refused[method]; refused != nil {
				re.Route = &Route{Route: refused, PathParams: t.params(segs)}
			}
			return nil, re
		}
		return &Route{Route: route, PathParams: t.params(segs), Checks: s.checks[route.Operation]}, nil
	}
	return nil, &RouteError{Method: method, Path: rawPath, Err: ErrNoRoute}
}

// unescape decodes a path segment; most have nothing to decode.
func unescape(seg string) (string, error) {
	if !strings.ContainsRune(seg, '%') {
		return seg, nil
	}
	return url.PathUnescape(seg)
}

// matches reports whether decoded segments fit the template. A parameter
// takes any non-empty segment; its schema judges it later.
func (t template) matches(segs []string) bool {
	for i, lit := range t.segs {
		if lit == "" && segs[i] == "" || lit != "" && lit != segs[i] {
			return false
		}
	}
	return true
}

// params maps the template's parameters to the segments they match.
func (t template) params(segs []string) map[string]string {
	params := make(map[string]string, len(t.names))
	n := 0
	for i, lit := range t.segs {
		if lit == "" {
			params[t.names[n]] = segs[i]
			n++
		}
	}
	return params
}

// allow lists the template's methods, for an Allow header.
func (t template) allow() []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		if t.ops[m] != nil {
			allow = append(allow, m)
		}
	}
	return allow
}
