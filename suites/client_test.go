package suites_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/exchange"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/config"
)

// client talks to the target: every exchange goes through the spec checker,
// every request carries the batch caller's credentials unless told
// otherwise, and every type it makes has a name no one else uses.
type client struct {
	base     string
	http     *http.Client
	checker  *exchange.Checker
	cfg      config.Config
	wire     spec.Wire
	prefix   string // this process's, random: the types of this run
	types    atomic.Int64
	lastSeen atomic.Int64
	mark     atomic.Int64 // the last exchange before the running spec
}

func newClient(base string, cfg config.Config) (*client, error) {
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	checker := &exchange.Checker{Spec: sp}
	return &client{
		wire:    sp.Wire,
		base:    strings.TrimSuffix(base, "/"),
		http:    &http.Client{Transport: checker},
		checker: checker,
		cfg:     cfg,
		prefix:  "ck" + strings.ToLower(rand.Text()[:8]),
	}, nil
}

// freshType names a type no other spec or run uses; its objects are deleted
// when the spec ends, failed or not.
func (c *client) freshType(name string) string {
	typ := fmt.Sprintf("%s_%s%d", c.prefix, name, c.types.Add(1))
	DeferCleanup(func() {
		// The type may never have been created: a 404 is fine here.
		c.send("DELETE", "/1/data/"+typ, nil, c.cfg.Username, c.cfg.Password)
	})
	return typ
}

// seed stores an object for a spec to work on. Setting up judges nothing:
// a refusal stops the spec as not set up.
func seed(typ, id string, fields obj) {
	GinkgoHelper()
	r := target.do("POST", "/1/data/"+typ+"?id="+id, fields)
	Expect(r.Status).To(BeNumerically("<", 300), "setting up: creating %s/%s answered %d: %s", typ, id, r.Status, r.Body)
}

// reply is a response of the target.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body, numbers kept as json.Number.
func (r reply) JSON() any {
	GinkgoHelper()
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var v any
	Expect(dec.Decode(&v)).To(Succeed(), "the body is not JSON: %s", r.Body)
	return v
}

// Object decodes the body as a JSON object.
func (r reply) Object() obj {
	GinkgoHelper()
	o, ok := r.JSON().(map[string]any)
	Expect(ok).To(BeTrue(), "the body is not a JSON object: %s", r.Body)
	return o
}

// objectOrNil decodes the body as a JSON object, or returns nil.
func (r reply) objectOrNil() obj {
	var o obj
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if dec.Decode(&o) != nil {
		return nil
	}
	return o
}

// Results decodes a batch reply into its results. Each result's body is
// as the request would have answered on its own: a spacedog-2016 GET's is
// unwrapped from its envelope.
func (r reply) Results(items ...any) []result {
	GinkgoHelper()
	Expect(r.Status).To(Equal(http.StatusOK), "a batch answered %d: %s", r.Status, r.Body)
	raws, err := target.wire.Results(r.Body)
	Expect(err).NotTo(HaveOccurred())
	out := make([]result, len(raws))
	for i, raw := range raws {
		alone := raw
		if i < len(items) {
			alone = target.wire.Alone(methodOf(items[i]), raw)
		}
		out[i] = result{Raw: raw, Alone: alone, Body: reply{Body: alone}.Object()}
	}
	return out
}

// methodOf is a batch item's method, read by its exact name as the
// contract reads it (§9); "" when it has none.
func methodOf(item any) string {
	switch it := item.(type) {
	case sub:
		m, _ := it["method"].(string)
		return m
	case json.RawMessage:
		var fields map[string]json.RawMessage
		var m string
		if json.Unmarshal(it, &fields) == nil {
			json.Unmarshal(fields["method"], &m)
		}
		return m
	}
	return ""
}

// result is one batch result: its status (its own status member, or 200
// for a representation), as sent, and as it would have been on its own.
type result struct {
	Raw, Alone json.RawMessage
	Body       obj // Alone, decoded
}

func (r result) Status() int { return spec.ResultStatus(r.Raw) }

type obj = map[string]any

// do sends a request as the batch caller; body is JSON-encoded unless it
// is []byte. It fails the spec on a transport error or a spec violation.
func (c *client) do(method, path string, body any) reply {
	GinkgoHelper()
	return c.as(c.cfg.Username, c.cfg.Password, method, path, body)
}

// as sends a request with other credentials (none when user is "").
func (c *client) as(user, password, method, path string, body any) reply {
	GinkgoHelper()
	r, err := c.send(method, path, body, user, password)
	Expect(err).NotTo(HaveOccurred())
	return r
}

// raw sends a request whose target is written on the request line as
// given, unescaped, as a hand-made client would send it.
func (c *client) raw(method, requestURI string) reply {
	GinkgoHelper()
	req, err := http.NewRequest(method, c.base+"/", nil)
	Expect(err).NotTo(HaveOccurred())
	req.URL.Opaque = strings.TrimSuffix(req.URL.Path, "/") + requestURI
	req.URL.Path = req.URL.Opaque // for the spec checker, which routes it
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	return c.exchange(req)
}

func (c *client) exchange(req *http.Request) reply {
	GinkgoHelper()
	resp, err := c.http.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (c *client) send(method, path string, body any, user, password string) (reply, error) {
	var data []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			return reply{}, err
		}
	}
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if data != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// batch posts the items as the batch caller; query is the query string.
// Its reply knows the items, to read the results as the items' own.
func (c *client) batch(query string, items ...any) batchReply {
	GinkgoHelper()
	if items == nil {
		items = []any{}
	}
	path := "/1/batch"
	if query != "" {
		path += "?" + query
	}
	return batchReply{reply: c.do("POST", path, items), items: items}
}

// batchReply is a batch's reply and the items it answers.
type batchReply struct {
	reply
	items []any
}

// Results decodes the reply into its results, read as the items' own.
func (b batchReply) Results() []result {
	GinkgoHelper()
	return b.reply.Results(b.items...)
}

// requestsSinceLast counts the requests since its last call.
func (c *client) requestsSinceLast() int64 {
	now := c.checker.Count()
	return now - c.lastSeen.Swap(now)
}

// markSpecStart notes where the running spec's exchanges begin.
func (c *client) markSpecStart() { c.mark.Store(c.checker.Count()) }

// sub is a batch item.
type sub map[string]any

func get(path string) sub         { return sub{"method": "GET", "path": path} }
func del(path string) sub         { return sub{"method": "DELETE", "path": path} }
func post(path string, c any) sub { return sub{"method": "POST", "path": path, "content": c} }
func put(path string, c any) sub  { return sub{"method": "PUT", "path": path, "content": c} }

// with returns a copy of the item with one more field.
func (s sub) with(k string, v any) sub {
	out := sub{k: v}
	for key, val := range s {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// statuses lists the results' statuses.
func statuses(results []result) []int {
	out := make([]int, len(results))
	for i, r := range results {
		out[i] = r.Status()
	}
	return out
}

func basicAuth(user, password string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

// created is a creation's status in the target's profile.
func created() int { return target.wire.Created }
