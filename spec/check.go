package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// CheckResponse validates a response to a request of the route: its status
// must be one the operation documents, and its headers and JSON body must
// match that response's schemas.
func (s *Spec) CheckResponse(route *Route, req *http.Request, status int, header http.Header, body []byte) error {
	if header.Get("Content-Type") == "" {
		header = header.Clone()
		header.Set("Content-Type", "application/json")
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: route.PathParams,
			Route:      route.Route,
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s answered %d, not as operation %s documents: %w",
			req.Method, req.URL.Path, status, route.OperationID(), err)
	}
	return nil
}

// CheckEnvelope validates an error reply that no operation answers (no
// route, another method) against the ErrorEnvelope schema, with its status.
func (s *Spec) CheckEnvelope(status int, body []byte) error {
	return s.checkSchema("ErrorEnvelope", status, body)
}

func (s *Spec) checkSchema(name string, status int, body []byte) error {
	schema := s.OpenAPISchema(name)
	if schema == nil {
		return fmt.Errorf("spec: no schema %q", name)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	if err := schema.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("body does not match %s: %w", name, err)
	}
	if status != 0 {
		if m, _ := v.(map[string]any); m != nil && fmt.Sprint(m["status"]) != fmt.Sprint(status) {
			return fmt.Errorf("envelope status %v is not the HTTP status %d", m["status"], status)
		}
	}
	return nil
}
