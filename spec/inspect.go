package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Finding is one way an exchange breaks the spec: in the reply itself, or
// in one result of a batch reply.
type Finding struct {
	Index     int    // the batch result's index; -1 for the reply itself
	Operation string // the operationId it was judged by; "" for an error that no operation answers
	Pointer   string // where in the body (a JSON pointer), when the schema says
	Keyword   string // the schema keyword that failed, when the schema says
	// Rules are the contract rules of the schema that failed, from its
	// x-requirements: the rules the finding breaks. None when the schema
	// names none, or the finding is not a schema's.
	Rules []string
	Err   error
}

func (f Finding) Error() string {
	if f.Index >= 0 {
		return fmt.Sprintf("result [%d]: %v", f.Index, f.Err)
	}
	return f.Err.Error()
}

func (f Finding) Unwrap() error { return f.Err }

// Inspect checks an exchange against a profile's document: the reply by
// the operation its request routes to (method, and path as sent), and for
// a batch each result by the operation its sub-request routes to, as the
// result would have been on its own. It lists every finding.
func (sp *Spec) Inspect(method, escapedPath string, reqBody []byte, status int, header http.Header, body []byte) []Finding {
	route, err := documented(sp.FindRoute(method, escapedPath))
	if err != nil {
		return finding(-1, "", sp.CheckEnvelope(status, body))
	}
	req := &http.Request{Method: route.Method, URL: &url.URL{Path: route.Path}, Header: http.Header{}}
	whole := finding(-1, route.OperationID(), sp.CheckResponse(route, req, status, header, body))
	if route.OperationID() != "batch" || status != http.StatusOK {
		return whole
	}
	// A batch reply's schema takes any result its document knows; each
	// result's own operation judges it closer, and names it.
	if results := sp.inspectResults(reqBody, body); results != nil {
		return results
	}
	return whole
}

func (sp *Spec) inspectResults(reqBody, body []byte) []Finding {
	var items []json.RawMessage
	if json.Unmarshal(reqBody, &items) != nil {
		return finding(-1, "batch", errors.New("the target answered 200 to a batch body that is not a JSON array"))
	}
	results, err := sp.Wire.Results(body)
	if err != nil {
		return finding(-1, "batch", err)
	}
	if len(results) > len(items) {
		return finding(-1, "batch", fmt.Errorf("%d results for %d sub-requests", len(results), len(items)))
	}
	var out []Finding
	for i, res := range results {
		op, err := sp.checkResult(items[i], res)
		out = append(out, finding(i, op, err)...)
	}
	return out
}

func finding(index int, op string, err error) []Finding {
	if err == nil {
		return nil
	}
	f := Finding{Index: index, Operation: op, Err: err}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		f.Pointer = "/" + strings.Join(se.JSONPointer(), "/")
		f.Keyword = se.SchemaField
		if se.Schema != nil {
			f.Rules = requirements(se.Schema.Extensions)
		}
	}
	return []Finding{f}
}

// checkResult validates a batch result by the operation its sub-request
// routes to. A failure that the operation does not document is the
// envelope: an item can fail before it reaches its route (malformed,
// nested, a path that leaves the target). It returns the operation.
func (sp *Spec) checkResult(item, res json.RawMessage) (string, error) {
	status := ResultStatus(res)
	// Exact field names, as the contract reads an item (§9): no struct.
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(item, &fields)
	var method, path string
	_ = json.Unmarshal(fields["method"], &method)
	_ = json.Unmarshal(fields["path"], &path)
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	if method == "" || path == "" {
		return "", sp.CheckEnvelope(status, res)
	}
	route, err := documented(sp.FindRoute(method, rawPath))
	switch {
	case err != nil && status < http.StatusBadRequest:
		return "", fmt.Errorf("a %d result for %s %s, which has no route", status, method, path)
	case err != nil || status >= http.StatusBadRequest && route.Operation.Responses.Status(status) == nil:
		return "", sp.CheckEnvelope(status, res)
	}
	req := &http.Request{Method: route.Method, URL: &url.URL{Path: route.Path, RawQuery: rawQuery}, Header: http.Header{}}
	alone := sp.Wire.Alone(route.Method, res)
	return route.OperationID(), sp.CheckResponse(route, req, status, http.Header{"Content-Type": {"application/json"}}, alone)
}

// documented turns a 405 that the document describes into the operation
// that describes it, which judges the reply as any operation does; any
// other routing error stays one.
func documented(route *Route, err error) (*Route, error) {
	var re *RouteError
	if errors.As(err, &re) && re.Route != nil {
		return re.Route, nil
	}
	return route, err
}

// requirements reads the rule IDs of an x-requirements extension.
func requirements(ext map[string]any) []string {
	ids, _ := ext["x-requirements"].([]any)
	var out []string
	for _, id := range ids {
		if id, ok := id.(string); ok {
			out = append(out, id)
		}
	}
	return out
}
