package spec

// How each profile lays out its replies (CONTRACT §7): how a batch reply
// holds its results, how a result relates to the same request's answer on
// its own, and a creation's status. The suites read replies by it, the
// mock's proxy and the suites' checker judge them by it.
//
// Members are read by their exact names, as the contract spells them: a
// struct would let encoding/json match "Status" or "STATUS" too.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Wire is one profile's wire format.
type Wire struct {
	Created int // the status of a creation
	// Results splits a batch reply into its results.
	Results func(reply []byte) ([]json.RawMessage, error)
	// Alone is a result as the sub-request, of that method, would have
	// answered on its own.
	Alone func(method string, result json.RawMessage) json.RawMessage
}

// wireOf returns a profile's format.
func wireOf(profile string) (Wire, error) {
	switch profile {
	case Doc:
		return Wire{Created: http.StatusOK, Results: bareArray,
			Alone: func(_ string, r json.RawMessage) json.RawMessage { return r }}, nil
	case SpaceDog2016:
		return Wire{Created: http.StatusCreated, Results: envelope, Alone: unwrapReads}, nil
	}
	return Wire{}, fmt.Errorf("spec: no wire format for profile %q", profile)
}

func bareArray(reply []byte) ([]json.RawMessage, error) {
	var results []json.RawMessage
	if err := json.Unmarshal(reply, &results); err != nil {
		return nil, fmt.Errorf("the doc profile's batch reply is a JSON array of results: %v", err)
	}
	return results, nil
}

func envelope(reply []byte) ([]json.RawMessage, error) {
	m := members(reply)
	var results []json.RawMessage
	if m == nil || !isTrue(m["success"]) || statusOf(m) != http.StatusOK ||
		json.Unmarshal(m["responses"], &results) != nil || results == nil {
		return nil, fmt.Errorf(`the spacedog-2016 profile's batch reply is {"success":true,"status":200,"responses":[...]}, not %.200s`, reply)
	}
	return results, nil
}

// ResultStatus is a batch result's status: its own status member, or 200
// for a representation (an object or a listing), which has none.
func ResultStatus(result json.RawMessage) int {
	if s := statusOf(members(result)); s != 0 {
		return s
	}
	return http.StatusOK
}

// unwrapReads takes a successful GET's representation out of its envelope.
func unwrapReads(method string, r json.RawMessage) json.RawMessage {
	if !bytes.EqualFold([]byte(method), []byte(http.MethodGet)) {
		return r
	}
	m := members(r)
	if isTrue(m["success"]) && statusOf(m) == http.StatusOK && m["content"] != nil {
		return m["content"]
	}
	return r
}

// members are a JSON object's members by exact name; nil for another value.
func members(raw []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

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
