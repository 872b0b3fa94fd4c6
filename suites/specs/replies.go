package specs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

// The reading of the target's replies, in the wire's terms of the run's
// profile (spec.Wire): a body as JSON, a batch reply as its results, each
// result as its sub-request would have answered on its own.

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
func (r reply) Results(items ...any) results {
	GinkgoHelper()
	Expect(r.Status).To(Equal(http.StatusOK), "a batch answered %d: %s", r.Status, r.Body)
	raws, err := target.wire.Results(r.Body)
	Expect(err).NotTo(HaveOccurred())
	out := make(results, len(raws))
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

// GomegaString shows a result as the wire has it, once.
func (r result) GomegaString() string { return cutJSON(r.Raw) }

// results are a batch reply's results. A failed expectation shows them in
// the wire's terms: their statuses, then each as sent.
type results []result

// String says how many results there are and their statuses: "3 results:
// 200, 404, 201".
func (rs results) String() string {
	st := make([]string, len(rs))
	for i, r := range rs {
		st[i] = fmt.Sprint(r.Status())
	}
	noun := "results"
	if len(rs) == 1 {
		noun = "result"
	}
	if len(rs) == 0 {
		return "no results"
	}
	return fmt.Sprintf("%d %s: %s", len(rs), noun, strings.Join(st, ", "))
}

func (rs results) GomegaString() string {
	var b strings.Builder
	b.WriteString(rs.String())
	for i, r := range rs {
		fmt.Fprintf(&b, "\n  [%d] %s", i, cutJSON(r.Raw))
	}
	return b.String()
}

// cutJSON is a result's JSON for a message, long ones cut.
func cutJSON(raw []byte) string {
	const most = 300
	if len(raw) > most {
		return fmt.Sprintf("%s... (%d bytes)", raw[:most], len(raw))
	}
	return string(raw)
}

type obj = map[string]any

// batchReply is a batch's reply and the items it answers.
type batchReply struct {
	reply
	items []any
}

// Results decodes the reply into its results, read as the items' own.
func (b batchReply) Results() results {
	GinkgoHelper()
	return b.reply.Results(b.items...)
}

// sub is a batch item.
type sub = subreq.Item

// statuses lists the results' statuses.
func statuses(results []result) []int {
	out := make([]int, len(results))
	for i, r := range results {
		out[i] = r.Status()
	}
	return out
}

// created is a creation's status in the target's profile.
func created() int { return target.wire.Created }
