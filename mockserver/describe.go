package mockserver

import (
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// describe turns a kin-openapi validation error into one line that names the
// place (query parameter or body, and the JSON pointer of the field) and what
// is wrong, without the schema dump kin-openapi appends. It does not name the
// batch item: a sub-request answers as it would on its own (ORD-4), and its
// place in the reply is its index.
func describe(err error) string {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return err.Error()
	}
	place := "body"
	if p := re.Parameter; p != nil {
		place = fmt.Sprintf("%s parameter [%s]", p.In, p.Name)
	}
	var se *openapi3.SchemaError
	switch {
	case errors.As(re.Err, &se):
		return schemaMessage(place+": ", se)
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		if re.Parameter == nil {
			return place + ": " + "a JSON object is required"
		}
		return place + ": " + "is required"
	case re.Err != nil:
		return place + ": " + re.Err.Error()
	default:
		return place + ": " + re.Reason
	}
}

// schemaMessage says where in a value a schema failed, and why.
func schemaMessage(prefix string, se *openapi3.SchemaError) string {
	if ptr := se.JSONPointer(); len(ptr) > 0 {
		prefix += "field [" + strings.Join(ptr, "/") + "]: "
	}
	return prefix + schemaReason(se)
}

func schemaReason(se *openapi3.SchemaError) string {
	switch {
	case se.SchemaField == "pattern":
		if says, ok := se.Schema.Extensions["x-pattern-says"].(string); ok {
			return fmt.Sprintf("must be %s, not %q", says, se.Value)
		}
		return "must match " + se.Schema.Pattern
	case (se.SchemaField == "anyOf" || se.SchemaField == "oneOf") && se.Schema.Description != "":
		return "must be " + se.Schema.Description
	case se.Origin != nil:
		return se.Origin.Error()
	case se.Reason != "":
		return se.Reason
	default:
		return fmt.Sprintf("does not match the schema's %q", se.SchemaField)
	}
}
