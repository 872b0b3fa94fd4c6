package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/mockserver/internal/rawjson"
	"github.com/spacedog-oss/batchkit/spec"
)

// batch runs a batch's items one after another in array order (ORD-1,
// ORD-2), keeps what earlier items did when a later one fails (ORD-3), and
// with stopOnError=true ends after the first failed result (STOP-2). Each
// item's result is the body its request would have had on its own.
func (s *Server) batch(c *call) response {
	items, res := s.items(c.body)
	if items == nil {
		return res
	}
	stop := strings.EqualFold(c.query.Get("stopOnError"), "true") // validated: true or false
	results := make([]json.RawMessage, 0, len(items))
	if c.entry != nil {
		c.entry.SubRequests = make([]SubEntry, 0, len(items))
	}
	for i, raw := range items {
		if c.dropAfter >= 0 && i >= c.dropAfter {
			c.note(notRun(items[i:], i, fmt.Sprintf("a fault rule dropped the connection after %d items", i))...)
			break
		}
		if raw[0] != '{' && s.dialect.notObject != nil {
			c.note(notRun(items[i:], i, fmt.Sprintf("item [%d] is not an object, which ends the batch in this profile", i))...)
			return s.dialect.notObject(raw) // what ran before stays done (ORD-3)
		}
		status, result := s.item(c, i, raw)
		results = append(results, result)
		if stop && status >= http.StatusBadRequest {
			c.note(notRun(items[i+1:], i+1, fmt.Sprintf("stopOnError: item [%d] failed, and the batch stopped there", i))...)
			break
		}
	}
	return response{status: http.StatusOK, body: s.spec.Wire.Reply(results)}
}

// notRun is the journal's record of batch items that did not run, from
// index from, because of why: each as written, with its method and path
// when they are strings.
func notRun(items [][]byte, from int, why string) []SubEntry {
	var subs []SubEntry
	for i, raw := range items {
		sub := written(raw)
		sub.Index, sub.NotRun = from+i, why
		subs = append(subs, sub)
	}
	return subs
}

// written is a batch item as the journal keeps one that did not run: its
// method and path when it has them as strings, and the item itself, a copy
// so that the journal never holds the batch's body.
func written(raw []byte) SubEntry {
	var sub SubEntry
	rawjson.Visit(raw, func(name, value []byte) {
		switch {
		case rawjson.NameIs(name, "method"):
			sub.Method, _ = rawjson.String(value)
		case rawjson.NameIs(name, "path"):
			p, _ := rawjson.String(value)
			sub.Path, sub.Query, _ = strings.Cut(p, "?")
		}
	})
	sub.Request = journalBody(bytes.Clone(raw), true)
	return sub
}

// items splits a batch body into its items, or says why the whole batch is
// rejected (ERR-1, LIM-2); then nothing runs.
func (s *Server) items(body []byte) ([][]byte, response) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, s.dialect.failure(http.StatusBadRequest, "body: a JSON array of sub-requests is required")
	}
	if !json.Valid(trimmed) {
		err := json.Unmarshal(trimmed, new(json.RawMessage)) // says where
		return nil, s.dialect.failure(http.StatusBadRequest, "body: not valid JSON: %v", err)
	}
	if trimmed[0] != '[' {
		return nil, s.dialect.failure(http.StatusBadRequest, "body: must be a JSON array of sub-requests, not %s", kindOf(trimmed))
	}
	items := rawjson.Elements(trimmed) // valid JSON: split, not decoded
	if len(items) > s.cfg.MaxBatch {
		// LIM-2: the server's words; SpaceDog said them with a RuntimeException.
		return nil, failureOf(http.StatusBadRequest, "java.lang.RuntimeException", s.dialect.tooMany(s.cfg.MaxBatch, len(items)))
	}
	return items, response{}
}

// item runs one batch item: a malformed one gets its 400 result in place
// (ERR-4), a well-formed one is dispatched as a request of its own. It
// returns the item's status and its result, as the profile's wire lays it
// out.
func (s *Server) item(batch *call, i int, raw []byte) (int, []byte) {
	sub, err := s.subRequest(batch, i, raw)
	if err != nil {
		res := s.dialect.failure(http.StatusBadRequest, "batch item [%d]: %v", i, err)
		s.checkEnvelope(res)
		if batch.entry != nil {
			malformed := written(raw)
			malformed.Index, malformed.Status, malformed.Malformed, malformed.Result = i, res.status, true, journalBody(res.body, true)
			batch.note(malformed)
		}
		return res.status, res.body
	}
	method := strings.ToUpper(sub.method)
	res := s.dispatch(sub)
	result := s.spec.Wire.Result(method, res.status, res.body)
	batch.note(SubEntry{Index: i, Method: method, Path: sub.rawPath, Query: sub.rawQuery, Status: res.status, Fault: res.fault, FaultRule: sub.faultRule,
		Result: journalBody(result, true)})
	return res.status, result
}

// subRequest makes the call of a batch item, checked against the spec's
// SubRequest schema and the rules a schema cannot say (SUB-1, SEC-1).
func (s *Server) subRequest(batch *call, i int, raw []byte) (*call, error) {
	if raw[0] != '{' {
		return nil, fmt.Errorf("must be a JSON object, not %s", kindOf(raw))
	}
	// Members by their exact names (CONTRACT §9), where encoding/json into
	// a struct would match "METHOD" to a field Method; the last of a
	// repeated name wins, as in encoding/json.
	var fields itemFields
	rawjson.Visit(raw, func(name, value []byte) {
		for i, want := range itemFieldNames {
			if rawjson.NameIs(name, want) {
				fields[i] = value
			}
		}
	})
	// The payload's schema takes any value, so a placeholder stands in for it.
	item := make(map[string]any, 6)
	for i, name := range itemFieldNames {
		if name == "content" || name == "body" {
			if fields[i] != nil {
				item[name] = true
			}
			continue
		}
		v, err := decodeField(fields[i])
		if err != nil {
			return nil, fmt.Errorf("field [%s]: %v", name, err)
		}
		if v != nil { // a null member counts as a missing one
			item[name] = v
		}
	}
	if err := s.subRequestSchema.Check(item); err != nil {
		return nil, itemSchemaError(raw, err)
	}
	params := item["parameters"]
	body, err := s.payload(&fields)
	if err != nil {
		return nil, err
	}
	rawPath, rawQuery, _ := strings.Cut(item["path"].(string), "?")
	header, err := mergeHeaders(batch.header, item["headers"])
	if err != nil {
		return nil, err
	}
	if rawQuery, err = withParameters(rawQuery, params); err != nil {
		return nil, err
	}
	var identity http.Header
	if s.dialect.batchIdentity {
		identity = batch.header
	}
	return &call{
		identity:  identity,
		method:    item["method"].(string),
		rawPath:   rawPath,
		rawQuery:  rawQuery,
		shown:     item["path"].(string),
		header:    header,
		body:      body,
		bodyValid: true,
		host:      batch.host,
		item:      i,
		backend:   batch.backend,
		base:      batch.base,
		delayed:   batch.delayed,
		origin:    batch.origin,
	}, nil
}

// withParameters lays an item's parameters over its path's query string,
// winning over the same names (SUB-2).
func withParameters(rawQuery string, parameters any) (string, error) {
	params, ok := parameters.(map[string]any) // the schema made it an object, if given
	if !ok {
		return rawQuery, nil
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("field [path]: bad query string: %v", err)
	}
	for name, v := range params {
		q[name] = paramValues(v)
	}
	return q.Encode(), nil
}

// itemFieldNames are the members of an item that the contract reads, by
// their exact names (CONTRACT §9); every other member is ignored.
var itemFieldNames = [...]string{"method", "path", "parameters", "headers", "content", "body"}

// itemFields are an item's members of those names, as written; the last
// of a repeated name wins, as in encoding/json.
type itemFields [len(itemFieldNames)][]byte

func (f *itemFields) get(name string) []byte {
	if i := slices.Index(itemFieldNames[:], name); i >= 0 {
		return f[i]
	}
	return nil
}

// payload is the item's payload, from the fields the profile reads it from.
func (s *Server) payload(fields *itemFields) ([]byte, error) {
	var body []byte
	for _, name := range s.dialect.payloads {
		if fields.get(name) == nil {
			continue
		}
		if body != nil {
			return nil, errors.New("fields [content] and [body] are both given; the payload goes in one of them")
		}
		body = fields.get(name)
	}
	return body, nil
}

// decodeField decodes an item's field, numbers kept exact; nil for a
// missing or null one.
func decodeField(raw []byte) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if str, ok := rawjson.String(raw); ok { // method and path, the common case
		return str, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// itemSchemaError says which field of an item breaks the SubRequest schema.
func itemSchemaError(raw []byte, err *spec.RequestError) error {
	if ptr := err.Pointer; len(ptr) == 1 && err.Reason == "is required" {
		members := rawjson.Members(raw)
		msg := fmt.Sprintf("field [%s] is missing", ptr[0]) + caseHint(members, ptr[0])
		if ptr[0] == "method" {
			msg += methodHint(members)
		}
		return errors.New(msg)
	}
	return err
}

// caseHint names a key that is the missing field in another case: names
// are exact (CONTRACT §9), but the mistake deserves a word.
func caseHint(members []rawjson.Member, field string) string {
	for _, m := range members {
		if m.Name != field && strings.EqualFold(m.Name, field) {
			return fmt.Sprintf("; this item has a key %q: field names are case-sensitive, write %q", m.Name, field)
		}
	}
	return ""
}

// methodHint helps with the reference page's own mistake, an item written
// {"POST": "/v1/data/product"}.
func methodHint(members []rawjson.Member) string {
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		for _, member := range members {
			if path, ok := rawjson.String(member.Value); ok && strings.EqualFold(member.Name, m) {
				return fmt.Sprintf(`; this item has a key %q: write it {"method": %q, "path": %q}`, member.Name, m, path)
			}
		}
	}
	return ""
}

// mergeHeaders lays an item's headers over the batch request's, for that item
// alone (SUB-3). Names are case-insensitive; CR and LF are refused (SEC-1).
//
// An item without headers of its own shares the batch's: items run one at
// a time, and dispatch only ever sets Content-Type to JSON, as the batch's.
func mergeHeaders(batch http.Header, own any) (http.Header, error) {
	headers, _ := own.(map[string]any) // the schema made its values strings
	if len(headers) == 0 {
		return batch, nil
	}
	h := batch.Clone()
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		value := headers[name].(string)
		if err := checkHeader(name, value); err != nil {
			return nil, err
		}
		switch key := http.CanonicalHeaderKey(name); key {
		case "Host", "Content-Length", "Transfer-Encoding": // the batch's own, never an item's
		default:
			h[key] = []string{value}
		}
	}
	return h, nil
}

// checkHeader checks a header of a field [headers], a batch item's or a
// fault rule's: its name a token, its value free of CR, LF and NUL, which
// would end it and start another (SEC-1).
func checkHeader(name, value string) error {
	if !isToken(name) {
		return fmt.Errorf("field [headers]: [%q] is not a valid header name", name)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r == '\r' || r == '\n' || r == 0 }) {
		return fmt.Errorf("field [headers/%s]: the value holds CR, LF or NUL", name)
	}
	return nil
}

// isToken reports whether s is an HTTP header field name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r < 0x7f && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("!#$%&'*+-.^_`|~", r))
		if !ok {
			return false
		}
	}
	return true
}

// paramValues writes a parameter's value as query values (SUB-2).
func paramValues(v any) []string {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, paramValues(e)...)
		}
		return out
	case bool:
		return []string{strconv.FormatBool(v)}
	default: // string or json.Number
		return []string{fmt.Sprint(v)}
	}
}

// kindOf names the kind of a JSON value that is not an object.
func kindOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
