package concurrency

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// Never is the return time of an operation whose answer never came: it
// may take effect at any time after its call, or never.
const Never = math.MaxInt64

// Op is one request on one object, as sent and as answered: a request on
// its own, or a batch item, whose times are its batch's.
type Op struct {
	Client   int
	Type, ID string // the object; ID is "" for a delete of the whole type
	Req      model.Request
	Caller   model.Auth
	Item     int // its index in its batch; -1 on its own
	// Call and Return are nanoseconds since the history began: when the
	// request (or its batch) was sent, and when its whole answer was read.
	Call, Return int64
	// Status and Body are the answer as the request would have had it on
	// its own (a batch result through the profile's spec.Wire.Alone),
	// Body with the members no rule names left out (see tolerate); Status
	// is model.Unanswered when no answer came. An answer of overload (see
	// refusal and unknownEffect) is kept as it came, and not judged.
	Status int
	Body   []byte
	// Exchange is the index, in the history's exchanges, of the HTTP
	// exchange that carried the request.
	Exchange int
}

// Object names the object the operation acts on, type/id; a type's delete
// names its type, type/.
func (o *Op) Object() string { return o.Type + "/" + o.ID }

// answered reports whether an answer came that says what the request did:
// one came, and it is not a word that the server's answer is unknown.
func (o *Op) answered() bool { return o.Status != model.Unanswered && !unknownEffect(o.Status) }

// refused reports whether the request was turned away unrun (see refusal).
func (o *Op) refused() bool { return refusal(o.Status) }

// What an answer of overload says of the request, sent on its own or as a
// batch item. Neither is an answer of the object's history, and the rules
// judge neither (CONTRACT §3.1: CONC-1 asks that a request take effect
// within its interval and answer as the history says, not that a loaded
// server answer every one).
//
// refusal is 429 Too Many Requests: a rate limiter, or the server, turned
// the request away before it ran, so it had no effect.
//
// unknownEffect is a gateway's word that no answer of the server's came
// through it (502 Bad Gateway, 504 Gateway Timeout), or 503 Service
// Unavailable, which a limiter answers unrun but a proxy also answers when
// its upstream reset mid-request: the request may have taken effect, at
// any time after it was sent (the server may finish it after the gateway
// gave up), or never, as when no answer came at all.
func refusal(status int) bool { return status == http.StatusTooManyRequests }

func unknownEffect(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// effectless reports whether the operation changes nothing whatever the
// state it met: a read, or a request refused (the rules refuse without an
// effect). Leaving one out of a history can only make the history easier
// to explain.
func (o *Op) effectless() bool {
	return o.answered() && (o.Req.Method == http.MethodGet || o.Status >= http.StatusBadRequest)
}

// Exchange is one HTTP exchange of a history, as sent and as answered.
type Exchange struct {
	Client      int
	Method, URL string
	Header      http.Header
	Body        []byte
	Status      int    // 0 when no answer came
	Reply       []byte // as answered
	Err         string // why no answer came
	// Broken says why an answer could not be read item by item: a batch
	// answered otherwise than 200, or with results that are not one per
	// item. Its items are left unanswered.
	Broken       string
	Call, Return int64
}

// History records the operations of concurrent clients and the exchanges
// that carried them. It is safe for concurrent use.
type History struct {
	start time.Time

	mu        sync.Mutex
	ops       []*Op
	exchanges []Exchange
}

// NewHistory starts a history now.
func NewHistory() *History { return &History{start: time.Now()} }

// since is the time of now in the history.
func (h *History) since() int64 { return int64(time.Since(h.start)) }

// Ops are the operations recorded so far.
func (h *History) Ops() []*Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Op(nil), h.ops...)
}

// Exchanges are the exchanges recorded so far.
func (h *History) Exchanges() []Exchange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Exchange(nil), h.exchanges...)
}

func (h *History) record(ex Exchange, ops []*Op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, op := range ops {
		op.Exchange = len(h.exchanges)
		h.ops = append(h.ops, op)
	}
	h.exchanges = append(h.exchanges, ex)
}

// Planned is an operation to send: a request on an object (ID "" for a
// delete of the whole type), written as a request on its own, its query
// in Req.Query.
type Planned struct {
	Type, ID string
	Req      model.Request
}

// Sender sends operations to a target and records them in a history.
type Sender struct {
	HTTP    *http.Client
	Base    string // the target's base URL
	Host    model.Host
	Profile string
	Wire    spec.Wire
	History *History
	// MaxReply bounds the bytes of one answer read.
	MaxReply int64
}

// Direct sends p on its own as client, with caller's credentials, and
// returns the operation as answered.
func (s *Sender) Direct(ctx context.Context, client int, caller model.Auth, p Planned) *Op {
	target := p.Req.Path
	if p.Req.Query != "" {
		target += "?" + p.Req.Query
	}
	op := &Op{Client: client, Type: p.Type, ID: p.ID, Req: p.Req, Caller: caller, Item: -1}
	ex := s.exchange(ctx, client, caller, p.Req.Method, target, p.Req.Payload)
	op.Call, op.Return = ex.Call, ex.Return
	if ex.Status != 0 {
		op.Status, op.Body = ex.Status, tolerate(ex.Reply, s.location(p), s.Profile)
	}
	if unknownEffect(op.Status) {
		op.Return = Never
	}
	s.History.record(ex, []*Op{op})
	return op
}

// Batch sends ps as one batch, items in order, as client with caller's
// credentials; it returns the operations as answered. A batch whose reply
// cannot be read item by item leaves its items unanswered: they may have
// run. A batch answered with overload (see refusal and unknownEffect)
// gives each item that answer.
func (s *Sender) Batch(ctx context.Context, client int, caller model.Auth, ps []Planned) []*Op {
	items := make([]json.RawMessage, len(ps))
	ops := make([]*Op, len(ps))
	for i, p := range ps {
		path := p.Req.Path
		if p.Req.Query != "" {
			path += "?" + p.Req.Query
		}
		item := map[string]any{"method": p.Req.Method, "path": path}
		if p.Req.Payload != nil {
			item["content"] = json.RawMessage(p.Req.Payload)
		}
		items[i], _ = json.Marshal(item)
		r := p.Req
		if r.Payload != nil {
			r.Field = "content"
		}
		ops[i] = &Op{Client: client, Type: p.Type, ID: p.ID, Req: r, Caller: caller, Item: i}
	}
	body, _ := json.Marshal(items)
	ex := s.exchange(ctx, client, caller, http.MethodPost, "/1/batch", body)
	var results []json.RawMessage
	switch {
	case ex.Status == http.StatusOK:
		var err error
		results, err = s.Wire.Results(ex.Reply)
		switch {
		case err != nil:
			ex.Broken = err.Error()
		case len(results) != len(ps):
			ex.Broken = fmt.Sprintf("%d results for %d items (ORD-1)", len(results), len(ps))
		}
	case refusal(ex.Status) || unknownEffect(ex.Status):
		// Overload, not a broken batch: each item gets the answer.
	case ex.Status != 0:
		ex.Broken = fmt.Sprintf("a batch of %d valid items answered %d, not 200 (LIM-1)", len(ps), ex.Status)
	}
	for i, op := range ops {
		op.Call, op.Return = ex.Call, ex.Return
		switch {
		case ex.Status == 0 || ex.Broken != "":
			op.Return = Never // whether it ran is unknown
			continue
		case ex.Status != http.StatusOK:
			op.Status, op.Body = ex.Status, tolerate(ex.Reply, s.location(ps[i]), s.Profile)
		default:
			op.Status = spec.ResultStatus(results[i])
			op.Body = tolerate(s.Wire.Alone(op.Req.Method, results[i]), s.location(ps[i]), s.Profile)
		}
		if unknownEffect(op.Status) {
			op.Return = Never
		}
	}
	s.History.record(ex, ops)
	return ops
}

// location is the URL the model expects in a saved answer of p.
func (s *Sender) location(p Planned) string {
	return "http://" + s.Host.Name + "/1/data/" + url.PathEscape(p.Type) + "/" + url.PathEscape(p.ID)
}

// exchange sends one request and reads its answer whole.
func (s *Sender) exchange(ctx context.Context, client int, caller model.Auth, method, target string, body []byte) Exchange {
	ex := Exchange{Client: client, Method: method, URL: strings.TrimSuffix(s.Base, "/") + target, Header: http.Header{}, Body: body}
	if body != nil {
		ex.Header.Set("Content-Type", "application/json")
	}
	if caller.Header != "" {
		ex.Header.Set("Authorization", caller.Header)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, ex.URL, rd)
	if err != nil {
		ex.Err, ex.Call, ex.Return = err.Error(), s.History.since(), Never
		return ex
	}
	req.Header = ex.Header.Clone()
	ex.Call = s.History.since()
	resp, err := s.HTTP.Do(req)
	if err != nil {
		ex.Err, ex.Return = err.Error(), Never
		return ex
	}
	defer resp.Body.Close()
	limit := s.MaxReply
	if limit <= 0 {
		limit = 64 << 20
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		ex.Err = fmt.Sprintf("reading the answer: %v", err)
	case int64(len(reply)) > limit:
		ex.Err = fmt.Sprintf("an answer over %d bytes", limit)
	}
	if ex.Err != "" {
		ex.Return = Never
		return ex
	}
	ex.Return = s.History.since()
	ex.Status, ex.Reply = resp.StatusCode, reply
	return ex
}
