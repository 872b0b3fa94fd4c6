package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// The document's request checks, compiled once when it loads: each
// operation's parameters and request body, and any component schema a
// caller asks for. They cover the part of JSON Schema the documents use; a
// keyword outside it stops the load, so the document still decides.
// kin-openapi stays the validator of record: a test holds the two to the
// same verdicts.

// Checks are an operation's request checks.
type Checks struct {
	params       []param
	body         *Schema // the JSON request body's; nil when it has none
	bodyRequired bool
}

type param struct {
	in, name string
	required bool
	schema   *Schema
}

// RequestError says which part of a request breaks the document, and why.
type RequestError struct {
	In      string   // "query", "path" or "body"
	Name    string   // the parameter's name; "" for the body
	Pointer []string // where in the body's JSON, or in an item
	Reason  string
}

func (e *RequestError) Error() string {
	var b strings.Builder
	if e.In == "body" {
		b.WriteString("body: ")
	} else if e.In != "" {
		fmt.Fprintf(&b, "%s parameter [%s]: ", e.In, e.Name)
	}
	if len(e.Pointer) > 0 {
		fmt.Fprintf(&b, "field [%s]: ", strings.Join(e.Pointer, "/"))
	}
	b.WriteString(e.Reason)
	return b.String()
}

// CheckParams checks the path parameters and the query, as decoded. A
// query parameter given more than once is judged by its first value, as
// kin-openapi reads it.
func (c *Checks) CheckParams(path map[string]string, query map[string][]string) *RequestError {
	for _, p := range c.params {
		var raw string
		var given bool
		if p.in == "path" {
			raw, given = path[p.name]
		} else if vs := query[p.name]; len(vs) > 0 {
			raw, given = vs[0], true
		}
		if !given {
			if p.required {
				return &RequestError{In: p.in, Name: p.name, Reason: "is required"}
			}
			continue
		}
		if err := p.schema.checkParam(raw); err != nil {
			err.In, err.Name = p.in, p.name
			return err
		}
	}
	return nil
}

// TakesBody reports whether the operation takes a request body.
func (c *Checks) TakesBody() bool { return c.body != nil }

// CheckBody checks a request body, decoded with numbers as json.Number;
// given is false when the request has none.
func (c *Checks) CheckBody(v any, given bool) *RequestError {
	if c.body == nil {
		return nil
	}
	if !given {
		if c.bodyRequired {
			return &RequestError{In: "body", Reason: "a JSON object is required"}
		}
		return nil
	}
	if err := c.body.check(v, make([]string, 0, pointerDepth)); err != nil {
		err.In = "body"
		return err
	}
	return nil
}

// CheckRawBody checks a request body as sent: valid JSON, or empty for
// none. It decodes the body only when the schema asks more of it than its
// type, so that an object payload is never decoded to be checked.
func (c *Checks) CheckRawBody(raw []byte) *RequestError {
	if c.body == nil || len(raw) == 0 {
		return c.CheckBody(nil, len(raw) > 0)
	}
	if kind, ok := rawKind(raw); ok && c.body.typeOnly() && kind != typeNumber {
		if kind == 0 { // null
			return c.CheckBody(nil, true)
		}
		if c.body.types != 0 && c.body.types&kind == 0 {
			return &RequestError{In: "body", Reason: fmt.Sprintf("must be %s, not %s", c.body.types, kind)}
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &RequestError{In: "body", Reason: "not valid JSON: " + err.Error()}
	}
	return c.CheckBody(v, true)
}

// rawKind is the type of a valid JSON value by its first byte: 0 for null,
// typeNumber for any number.
func rawKind(raw []byte) (typeSet, bool) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0, false
	}
	switch raw[0] {
	case '{':
		return typeObject, true
	case '[':
		return typeArray, true
	case '"':
		return typeString, true
	case 't', 'f':
		return typeBoolean, true
	case 'n':
		return 0, true
	}
	return typeNumber, true
}

// typeOnly reports whether the schema constrains nothing but the type.
func (s *Schema) typeOnly() bool {
	return s.pattern == nil && s.minLength == 0 && s.min == nil && s.max == nil && s.enum == nil &&
		s.props == nil && s.required == nil && s.additional == nil && !s.closed && s.items == nil && s.anyOf == nil
}

// Schema is a compiled JSON schema.
type Schema struct {
	types       typeSet
	nullable    bool
	pattern     *regexp.Regexp
	patternSays string // the pattern in words, from x-pattern-says
	minLength   int
	min, max    *float64
	enum        []any
	props       map[string]*Schema
	propNames   []string // sorted
	required    []string
	additional  *Schema // nil: any member; see closed
	closed      bool    // additionalProperties: false
	items       *Schema
	anyOf       []*Schema
	description string
}

type typeSet uint8

const (
	typeString typeSet = 1 << iota
	typeNumber
	typeInteger
	typeBoolean
	typeObject
	typeArray
)

var typeNames = map[string]typeSet{"string": typeString, "number": typeNumber, "integer": typeInteger,
	"boolean": typeBoolean, "object": typeObject, "array": typeArray}

// compileSchema compiles a schema of the document, or says which keyword
// it holds that the compiled checks do not know.
func compileSchema(s *openapi3.Schema) (*Schema, error) {
	return compile(s, "#", map[*openapi3.Schema]*Schema{})
}

func compile(s *openapi3.Schema, at string, seen map[*openapi3.Schema]*Schema) (*Schema, error) {
	if c := seen[s]; c != nil {
		return c, nil
	}
	c := &Schema{nullable: s.Nullable, minLength: int(s.MinLength), min: s.Min, max: s.Max,
		enum: s.Enum, required: s.Required, description: s.Description}
	seen[s] = c
	rest := *s // what is left once the known keywords are taken out
	for _, t := range s.Type.Slice() {
		bit, ok := typeNames[t]
		if !ok {
			return nil, fmt.Errorf("spec: schema %s: type %q is not compiled", at, t)
		}
		c.types |= bit
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return nil, fmt.Errorf("spec: schema %s: pattern: %w", at, err)
		}
		c.pattern = re
		c.patternSays, _ = s.Extensions["x-pattern-says"].(string)
	}
	if s.Format != "" && s.Format != "int32" && s.Format != "int64" {
		return nil, fmt.Errorf("spec: schema %s: format %q is not compiled", at, s.Format)
	}
	if s.Format == "int32" {
		c.min, c.max = maxOf(c.min, math.MinInt32), minOf(c.max, math.MaxInt32)
	}
	for name, ref := range s.Properties {
		if c.props == nil {
			c.props = map[string]*Schema{}
		}
		p, err := compile(ref.Value, at+"/properties/"+name, seen)
		if err != nil {
			return nil, err
		}
		c.props[name] = p
		c.propNames = append(c.propNames, name)
	}
	slices.Sort(c.propNames)
	if ap := s.AdditionalProperties; ap.Schema != nil {
		a, err := compile(ap.Schema.Value, at+"/additionalProperties", seen)
		if err != nil {
			return nil, err
		}
		c.additional = a
	} else if ap.Has != nil && !*ap.Has {
		c.closed = true
	}
	if s.Items != nil {
		it, err := compile(s.Items.Value, at+"/items", seen)
		if err != nil {
			return nil, err
		}
		c.items = it
	}
	for i, ref := range s.AnyOf {
		a, err := compile(ref.Value, fmt.Sprintf("%s/anyOf/%d", at, i), seen)
		if err != nil {
			return nil, err
		}
		c.anyOf = append(c.anyOf, a)
	}
	rest.Type, rest.Format, rest.Pattern, rest.Nullable = nil, "", "", false
	rest.MinLength, rest.Min, rest.Max, rest.Enum, rest.Required = 0, nil, nil, nil, nil
	rest.Properties, rest.AdditionalProperties, rest.Items, rest.AnyOf = nil, openapi3.AdditionalProperties{}, nil, nil
	rest.Examples = nil // documentation only
	if !rest.IsEmpty() {
		return nil, fmt.Errorf("spec: schema %s uses a keyword the compiled checks do not know", at)
	}
	return c, nil
}

func maxOf(p *float64, v float64) *float64 {
	if p != nil && *p > v {
		return p
	}
	return &v
}

func minOf(p *float64, v float64) *float64 {
	if p != nil && *p < v {
		return p
	}
	return &v
}

// checkParam parses a parameter by its schema's type, as kin-openapi
// parses primitives, then checks the value.
func (s *Schema) checkParam(raw string) *RequestError {
	var v any = raw
	if raw == "" && s.types&typeString == 0 {
		return &RequestError{Reason: "must not be empty"}
	}
	switch {
	case s.types&typeInteger != 0:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return &RequestError{Reason: fmt.Sprintf("must be an integer, not %q", raw)}
		}
		v = json.Number(strconv.FormatInt(n, 10))
	case s.types&typeNumber != 0:
		if strings.ContainsFunc(raw, func(r rune) bool { return !strings.ContainsRune("+-.0123456789eE", r) }) {
			return &RequestError{Reason: fmt.Sprintf("must be a number, not %q", raw)}
		}
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			return &RequestError{Reason: fmt.Sprintf("must be a number, not %q", raw)}
		}
		v = json.Number(raw)
	case s.types&typeBoolean != 0:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return &RequestError{Reason: fmt.Sprintf("must be a boolean, not %q", raw)}
		}
		v = b
	}
	return s.check(v, nil)
}

// check checks a decoded JSON value; ptr is where it stands. It checks in
// kin-openapi's order (anyOf, enum, type, then members: the schema's
// properties by name, the others by name, then required), so that both
// name the same field first.
func (s *Schema) check(v any, ptr []string) *RequestError {
	fail := func(format string, args ...any) *RequestError {
		return &RequestError{Pointer: slices.Clone(ptr), Reason: fmt.Sprintf(format, args...)}
	}
	if v == nil {
		if s.nullable {
			return nil
		}
		return fail("must not be null")
	}
	if len(s.anyOf) > 0 && !slices.ContainsFunc(s.anyOf, func(a *Schema) bool { return a.check(v, ptr) == nil }) {
		if s.description != "" {
			return fail("must be %s", s.description)
		}
		return fail("matches none of its schemas")
	}
	if len(s.enum) > 0 && !slices.ContainsFunc(s.enum, func(e any) bool { return sameValue(e, v) }) {
		return fail("must be one of %v", s.enum)
	}
	if s.types != 0 && !s.types.holds(v) {
		return fail("must be %s, not %s", s.types, kindOfValue(v))
	}
	switch v := v.(type) {
	case string:
		if utf8.RuneCountInString(v) < s.minLength {
			return fail("must be at least %d characters long", s.minLength)
		}
		if s.pattern != nil && !s.pattern.MatchString(v) {
			if s.patternSays != "" {
				return fail("must be %s, not %q", s.patternSays, v)
			}
			return fail("must match %s", s.pattern)
		}
	case json.Number, float64:
		f := number(v)
		if s.min != nil && f < *s.min {
			return fail("must be at least %v", *s.min)
		}
		if s.max != nil && f > *s.max {
			return fail("must be at most %v", *s.max)
		}
	case map[string]any:
		return s.checkObject(v, ptr)
	case []any:
		if s.items != nil {
			for i, e := range v {
				if err := s.items.check(e, append(ptr, strconv.Itoa(i))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Schema) checkObject(v map[string]any, ptr []string) *RequestError {
	for _, name := range s.propNames {
		if m, ok := v[name]; ok {
			if err := s.props[name].check(m, append(ptr, name)); err != nil {
				return err
			}
		}
	}
	if s.closed || s.additional != nil {
		for _, name := range sortedKeys(v) {
			switch {
			case s.props[name] != nil:
			case s.closed:
				return &RequestError{Pointer: slices.Clone(ptr), Reason: fmt.Sprintf("member [%s] is not allowed", name)}
			default:
				if err := s.additional.check(v[name], append(ptr, name)); err != nil {
					return err
				}
			}
		}
	}
	for _, name := range s.required {
		if _, ok := v[name]; !ok {
			return &RequestError{Pointer: append(slices.Clone(ptr), name), Reason: "is required"}
		}
	}
	return nil
}

// holds reports whether a decoded JSON value is of one of the types.
func (t typeSet) holds(v any) bool {
	switch v := v.(type) {
	case string:
		return t&typeString != 0
	case bool:
		return t&typeBoolean != 0
	case map[string]any:
		return t&typeObject != 0
	case []any:
		return t&typeArray != 0
	case json.Number, float64:
		if t&typeNumber != 0 {
			return true
		}
		f := number(v)
		return t&typeInteger != 0 && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}

func (t typeSet) String() string {
	var names []string
	for _, n := range []string{"string", "number", "integer", "boolean", "object", "array"} {
		if t&typeNames[n] != 0 {
			names = append(names, articled(n))
		}
	}
	return strings.Join(names, " or ")
}

func articled(n string) string {
	if strings.ContainsRune("aeiou", rune(n[0])) {
		return "an " + n
	}
	return "a " + n
}

func kindOfValue(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "a number"
}

func number(v any) float64 {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case float64:
		return v
	}
	return math.NaN()
}

func sameValue(a, b any) bool {
	if _, ok := a.(string); ok {
		return a == b
	}
	if x, y := number(a), number(b); !math.IsNaN(x) || !math.IsNaN(y) {
		return x == y
	}
	return a == b
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// compileChecks compiles every operation's request checks.
func compileChecks(doc *openapi3.T) (map[*openapi3.Operation]*Checks, error) {
	out := map[*openapi3.Operation]*Checks{}
	seen := map[*openapi3.Schema]*Schema{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			at := method + " " + path
			c := &Checks{}
			params := slices.Concat(item.Parameters, op.Parameters)
			for _, ref := range params {
				p := ref.Value
				if p.In != "query" && p.In != "path" {
					continue // headers: the mock reads none but credentials
				}
				if p.Schema == nil || p.Content != nil {
					return nil, fmt.Errorf("spec: %s: parameter %s has no schema to compile", at, p.Name)
				}
				sc, err := compile(p.Schema.Value, at+" parameter "+p.Name, seen)
				if err != nil {
					return nil, err
				}
				if sc.types&(typeObject|typeArray) != 0 {
					return nil, fmt.Errorf("spec: %s: parameter %s is not a primitive", at, p.Name)
				}
				c.params = slices.DeleteFunc(c.params, func(q param) bool { return q.in == p.In && q.name == p.Name })
				c.params = append(c.params, param{in: p.In, name: p.Name, required: p.Required, schema: sc})
			}
			if rb := op.RequestBody; rb != nil {
				mt := rb.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil {
					return nil, errors.New("spec: " + at + ": the request body is not JSON with a schema")
				}
				sc, err := compile(mt.Schema.Value, at+" request body", seen)
				if err != nil {
					return nil, err
				}
				c.body, c.bodyRequired = sc, rb.Value.Required
			}
			out[op] = c
		}
	}
	return out, nil
}

// Check checks a decoded JSON value (numbers as json.Number) against the
// schema; the error's Pointer says where it fails.
func (s *Schema) Check(v any) *RequestError { return s.check(v, make([]string, 0, pointerDepth)) }

// pointerDepth is the room a check's pointer starts with: each level
// appends to it, so that a pointer is built without allocating until it
// is deeper than that, and is copied only into an error.
const pointerDepth = 8

// CompiledSchema returns the compiled component schema of that name.
func (s *Spec) CompiledSchema(name string) (*Schema, error) {
	sc := s.OpenAPISchema(name)
	if sc == nil {
		return nil, fmt.Errorf("spec: no schema %q", name)
	}
	return compileSchema(sc)
}
