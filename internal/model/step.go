package model

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Request is a data-API request, sent on its own or as a batch item.
type Request struct {
	Method  string                     // as written: an item's may be in any case
	Path    string                     // as sent: percent-encoded, without the query
	Query   string                     // the path's query string, as sent
	Params  map[string]json.RawMessage // an item's parameters; nil: none
	Payload []byte                     // nil: none
	Field   string                     // the item's payload field: content or body
	Headers map[string]string          // an item's own headers
	// ItemOnly marks a path no HTTP client sends as it is (a bad escape, a
	// backslash): it goes in batch items only.
	ItemOnly bool
	BadQuery bool // the query string does not parse, so no parameter is taken out of it
}

// effectiveQuery is the query the request runs with: the path's, with the
// parameters laid over it (SUB-2); false if it does not parse.
func (r Request) effectiveQuery() (url.Values, bool) {
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		return nil, false
	}
	for name, raw := range r.Params {
		q[name] = paramStrings(raw)
	}
	return q, true
}

// paramStrings is a parameter's value as query values: a string as it is,
// a number as written, a boolean as true or false, an array element by
// element.
func paramStrings(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(fmt.Sprintf("model: the generator made a bad parameter %s: %v", raw, err))
	}
	if list, ok := v.([]any); ok {
		out := make([]string, len(list))
		for i, x := range list {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

func (r Request) String() string {
	s := strings.ToUpper(r.Method) + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	if r.Payload != nil {
		s += " " + string(r.Payload)
	}
	return s
}

// Item is a batch item: its JSON, and the request it makes, or nil for a
// malformed item, whose 400 message must name its Field (ERR-4).
type Item struct {
	Raw json.RawMessage
	Req *Request
	// Malformed marks an item ERR-4 refuses (Req nil): its message names
	// its index and one of Fields, its fields at fault (the mock names the
	// first; none for an item that is not an object). A corpus's hostile
	// item is refused too, but for its own reasons.
	Malformed bool
	Fields    []string
	// Hint is what a malformed item written as the page's third item
	// meant ({"POST": "/v1/data/product"}): its message says how to write
	// it, naming this method and path (ERR-4).
	Hint *Request
	// Alone says the same request can be sent on its own (Model.Alone)
	// and must then answer as the item did (ORD-4): not a nested batch or
	// an admin route, nor a path no HTTP client sends.
	Alone bool
}

// Step is a direct request (Req), or a batch (Query, Body, Items).
type Step struct {
	Host  Host
	Auth  Auth
	Req   *Request
	Query string // the batch's query string
	Body  []byte // the batch's body
	Items []Item // nil when the body is no array of items
}

// Header is the step's request headers: its credentials, and a batch's
// Content-Type.
func (st *Step) Header() http.Header {
	h := http.Header{}
	if st.Req == nil {
		h.Set("Content-Type", "application/json")
	}
	if st.Auth.Header != "" {
		h.Set("Authorization", st.Auth.Header)
	}
	return h
}

// rejected says why the whole batch is rejected, before anything runs, or "".
func (st *Step) rejected(limit int) string {
	switch v, ok := parseQuery(st.Query)["stopOnError"]; {
	case ok && !strings.EqualFold(v[0], "true") && !strings.EqualFold(v[0], "false"):
		return "stopOnError" // STOP-4
	case st.Items == nil:
		return "body" // ERR-1
	case limit > 0 && len(st.Items) > limit:
		return "limit" // LIM-2
	}
	return ""
}

func parseQuery(s string) url.Values {
	q, err := url.ParseQuery(s)
	if err != nil {
		panic(fmt.Sprintf("model: the generator wrote a bad batch query %q: %v", s, err))
	}
	return q
}

func (st *Step) String() string {
	who := fmt.Sprintf("on %s as %s", st.Host.Name, st.Auth.User)
	if st.Req != nil {
		return fmt.Sprintf("%s %s", st.Req, who)
	}
	return fmt.Sprintf("POST /1/batch?%s %s: %s", st.Query, who, st.Body)
}

// Host is a request's Host header and the backend it addresses (CONTRACT §1).
type Host struct {
	Name, Backend string
	// Own says the backend is the run's own, named by it: nobody else's
	// data is there, so the routes of every type may be used even where
	// Options.NoAllData leaves them out.
	Own bool
}

// hosts are two backends.
var hosts = []Host{{Name: "alpha.localhost", Backend: "alpha"}, {Name: "shop.example.io", Backend: "shop"}}

// Auth is an Authorization header and the user it makes the caller.
type Auth struct{ Header, User string }

var auths = []Auth{
	{"", "anonymous"},
	{Basic("fred"), "fred"},
	{Basic("alice"), "alice"},
	{"Bearer 0123456789", "anonymous"}, // no Basic credentials: anonymous
}

// auths are the callers the model tells apart.
func (m *Model) auths() []Auth {
	if m.cfg.Auths == nil {
		return auths
	}
	return m.cfg.Auths
}

// Basic is an Authorization header with the user's Basic credentials.
func Basic(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":secret"))
}

// itemAuth is who an item runs as: its own credentials, else the batch's
// (SUB-4); always the batch's in the spacedog-2016 profile (CONTRACT §7).
func (m *Model) itemAuth(it Item, batch Auth) Auth {
	if m.is2016() {
		return batch
	}
	for name, v := range it.Req.Headers {
		if strings.EqualFold(name, "Authorization") {
			for _, a := range m.auths() {
				if a.Header == v {
					return a
				}
			}
			return Auth{Header: v, User: "anonymous"} // no credentials the model knows
		}
	}
	return batch
}

// Alone is an item's request as sent on its own, with the batch's headers
// under its own (SUB-3): the method in capitals, the parameters laid over
// the query (SUB-2). A Host header in an item changes nothing (CONTRACT
// §1). In the spacedog-2016 profile the batch's credentials stay, as the
// item runs as the batch's caller, and a payload in body is none (CONTRACT
// §7).
func (m *Model) Alone(it Item, batch http.Header) (Request, http.Header) {
	r := Request{Method: strings.ToUpper(it.Req.Method), Path: it.Req.Path, Query: it.Req.Query, Payload: it.Req.Payload}
	if it.Req.Params != nil {
		q, _ := it.Req.effectiveQuery()
		r.Query = q.Encode()
	}
	if m.is2016() && it.Req.Field == "body" {
		r.Payload = nil
	}
	h := batch.Clone()
	for name, v := range it.Req.Headers {
		if !strings.EqualFold(name, "Host") && !(m.is2016() && strings.EqualFold(name, "Authorization")) {
			h.Set(name, v)
		}
	}
	return r, h
}
