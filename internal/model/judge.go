package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

// JudgeDirect runs a direct request's step on the model and judges the
// target's reply.
func (m *Model) JudgeDirect(st *Step, status int, body []byte) []string {
	return m.Apply(st.Host, *st.Req, st.Auth, -1).Judge(status, body)
}

// Verdict is a batch reply judged.
type Verdict struct {
	Problems []string
	Ran      []Ran // the items that ran, in order
}

// Ran is an item that ran: what the model expects of it on its own, and
// its result as it would have answered on its own (spec.Wire.Alone), nil
// when the reply shows none (a spacedog-2016 batch that a later element
// ended, CONTRACT §7).
type Ran struct {
	Item   int
	Status int
	Result json.RawMessage
	// Exact says the result must be, byte for byte, the item's request's
	// answer on its own (ORD-4). In the spacedog-2016 profile, a route
	// error's message words the path and method as each request wrote
	// them, an item's query included, and a listing says how long it took
	// (CONTRACT §7): then only the status must be the same.
	Exact bool
	// Problems are the statuses of the item's problems before it ran, any
	// of which a server may answer (Model.Problems).
	Problems []int
}

// JudgeBatch runs a batch's step on the model, item by item, and judges the
// target's reply: the whole batch's rejections (ERR-1, STOP-4, LIM-2), each
// result against its item's outcome, where the reply ends (ORD-1, STOP-2),
// in the profile's wire format. Items run on the model whatever the reply,
// so that it stays in step with a target that ran them.
func (m *Model) JudgeBatch(st *Step, status int, body []byte) Verdict {
	if why := st.rejected(m.cfg.MaxBatch); why != "" {
		out := failed(http.StatusBadRequest)
		if why == "limit" {
			out.says = []string{strconv.Itoa(m.cfg.MaxBatch)} // LIM-2: the message names the limit
		}
		return Verdict{Problems: prefix("whole batch ("+why+")", out.Judge(status, body))}
	}
	var results []json.RawMessage
	var replyErr error
	if status == http.StatusOK {
		results, replyErr = m.wire.Results(body)
	}
	stop := strings.EqualFold(parseQuery(st.Query).Get("stopOnError"), "true")
	var problems []string
	var ran []Ran
	for i, it := range st.Items {
		if m.is2016() && !bytes.HasPrefix(bytes.TrimSpace(it.Raw), []byte("{")) {
			// The whole batch answers 400 when the loop reaches an element
			// that is not an object; what ran before stays done, unseen
			// (CONTRACT §7).
			out := Outcome{status: http.StatusBadRequest, says: []string{"not a json object"}}
			where := fmt.Sprintf("whole batch (element [%d] %s)", i, it.Raw)
			return Verdict{Problems: prefix(where, out.Judge(status, body)), Ran: ran}
		}
		choices := []int{http.StatusBadRequest} // a malformed item's one answer (ERR-4)
		if it.Req != nil {
			choices = m.Problems(st.Host, *it.Req, m.itemAuth(it, st.Auth), i)
		}
		out := m.itemOutcome(st, i)
		r := Ran{Item: i, Status: out.status, Exact: !out.untyped && !out.timed, Problems: choices}
		switch {
		case i < len(results):
			method := ""
			if it.Req != nil {
				method = it.Req.Method
			}
			r.Result = m.wire.Alone(method, results[i])
			problems = append(problems, prefix(fmt.Sprintf("item [%d] %s", i, it.Raw), out.Judge(spec.ResultStatus(results[i]), r.Result))...)
		case i == len(results) && results != nil:
			problems = append(problems, fmt.Sprintf("%d results, want more: the reply ends before item [%d] %s", len(results), i, it.Raw))
		}
		ran = append(ran, r)
		if stop && out.status >= http.StatusBadRequest {
			break // STOP-2
		}
	}
	switch {
	case status != http.StatusOK:
		problems = []string{fmt.Sprintf("batch status %d, want 200: %s", status, body)}
	case replyErr != nil:
		problems = []string{fmt.Sprintf("batch reply: %v", replyErr)}
	case len(results) > len(ran):
		problems = append(problems, fmt.Sprintf("%d results, want %d (ORD-1, STOP-2): %s", len(results), len(ran), body))
	}
	return Verdict{Problems: problems, Ran: ran}
}

// itemOutcome runs item i of a batch on the model.
func (m *Model) itemOutcome(st *Step, i int) Outcome {
	it := st.Items[i]
	if it.Req == nil {
		says := []string{fmt.Sprintf("[%d]", i)} // ERR-4, in the mock's words: the index, the first field
		if len(it.Fields) > 0 {
			says = append(says, it.Fields[0])
		}
		if it.Hint != nil {
			says = append(says, it.Hint.Method, it.Hint.Path)
		}
		return Outcome{status: http.StatusBadRequest, says: says}
	}
	return m.Apply(st.Host, *it.Req, m.itemAuth(it, st.Auth), i)
}
