package spec

// How each profile lays out its replies (CONTRACT §7): how a batch reply
// holds its results, how a result relates to the same request's answer on
// its own, and a creation's status. The mock writes replies by it, the
// suites read them by it, the mock's proxy and the suites' checker judge
// them by it. A profile is its document and one case of wireOf; what its
// server said and did otherwise is the mock's dialect (mockserver/dialect.go).
//
// Members are read by their exact names, as the contract spells them: a
// struct would let encoding/json match "Status" or "STATUS" too.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
)

// Wire is one profile's wire format. Each reader undoes its writer:
// Results(Reply(x)) is x, and Alone(method, Result(method, status, x)) is x.
type Wire struct {
	Created int // the status of a creation
	// Reply lays a batch's results out as its reply.
	Reply func(results []json.RawMessage) []byte
	// Results splits a batch reply into its results.
	Results func(reply []byte) ([]json.RawMessage, error)
	// Result is a sub-request's batch result, from the status and the body
	// it would have answered on its own, of that method.
	Result func(method string, status int, alone json.RawMessage) json.RawMessage
	// Alone is a result as the sub-request, of that method, would have
	// answered on its own.
	Alone func(method string, result json.RawMessage) json.RawMessage
}

// wireOf returns a profile's format.
func wireOf(profile string) (Wire, error) {
	switch profile {
	case Doc:
		return Wire{Created: http.StatusOK, Reply: bareArray, Results: readBareArray,
			Result: func(_ string, _ int, alone json.RawMessage) json.RawMessage { return alone },
			Alone:  func(_ string, r json.RawMessage) json.RawMessage { return r }}, nil
	case SpaceDog2016:
		return Wire{Created: http.StatusCreated, Reply: envelope, Results: readEnvelope,
			Result: wrapReads, Alone: unwrapReads}, nil
	}
	return Wire{}, fmt.Errorf("spec: no wire format for profile %q", profile)
}

// bareArray is the doc profile's batch reply: its results in an array.
func bareArray(results []json.RawMessage) []byte {
	return appendArray(make([]byte, 0, arraySize(results)), results)
}

func readBareArray(reply []byte) ([]json.RawMessage, error) {
	var results []json.RawMessage
	if err := json.Unmarshal(reply, &results); err != nil {
		return nil, fmt.Errorf("the doc profile's batch reply is a JSON array of results: %v", err)
	}
	return results, nil
}

const envelopeStart = `{"success":true,"status":200,"responses":`

// envelope is the spacedog-2016 profile's batch reply: its results in a
// success envelope.
func envelope(results []json.RawMessage) []byte {
	b := make([]byte, 0, len(envelopeStart)+arraySize(results)+1)
	b = append(b, envelopeStart...)
	b = appendArray(b, results)
	return append(b, '}')
}

func readEnvelope(reply []byte) ([]json.RawMessage, error) {
	m := jsonvalue.Members(reply)
	var results []json.RawMessage
	if m == nil || !isTrue(m["success"]) || statusOf(m) != http.StatusOK ||
		json.Unmarshal(m["responses"], &results) != nil || results == nil {
		return nil, fmt.Errorf(`the spacedog-2016 profile's batch reply is {"success":true,"status":200,"responses":[...]}, not %.200s`, reply)
	}
	return results, nil
}

// arraySize is the length of the array appendArray writes.
func arraySize(values []json.RawMessage) int {
	size := 2
	for _, v := range values {
		size += len(v) + 1
	}
	return size
}

// appendArray writes encoded JSON values as an array.
func appendArray(b []byte, values []json.RawMessage) []byte {
	b = append(b, '[')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, ']')
}

// ResultStatus is a batch result's status: its own status member, or 200
// for a representation (an object or a listing), which has none.
func ResultStatus(result json.RawMessage) int {
	if s := statusOf(jsonvalue.Members(result)); s != 0 {
		return s
	}
	return http.StatusOK
}

const readStart = `{"success":true,"status":200,"content":`

// wrapReads puts a successful GET's representation inside a success
// envelope, as the 2016 server's batch did; any other result is as it is.
func wrapReads(method string, status int, alone json.RawMessage) json.RawMessage {
	if !isGet(method) || status != http.StatusOK {
		return alone
	}
	b := make([]byte, 0, len(readStart)+len(alone)+1)
	b = append(b, readStart...)
	b = append(b, alone...)
	return append(b, '}')
}

// unwrapReads takes a successful GET's representation out of its envelope.
func unwrapReads(method string, r json.RawMessage) json.RawMessage {
	if !isGet(method) {
		return r
	}
	m := jsonvalue.Members(r)
	if isTrue(m["success"]) && statusOf(m) == http.StatusOK && m["content"] != nil {
		return m["content"]
	}
	return r
}

func isGet(method string) bool { return strings.EqualFold(method, http.MethodGet) }

// statusOf is an object's integer status member; 0 when it has none.
func statusOf(m map[string]json.RawMessage) int {
	var s int
	if json.Unmarshal(m["status"], &s) != nil {
		return 0
	}
	return s
}

func isTrue(raw json.RawMessage) bool {
	var b bool
	return json.Unmarshal(raw, &b) == nil && b
}
