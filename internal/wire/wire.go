// Package wire is what the suites know of each profile's wire format
// (CONTRACT §7): how a batch reply holds its results, how a result relates
// to the same request's answer on its own, and a creation's status.
//
// Members are read by their exact names, as the contract spells them: a
// struct would let encoding/json match "Status" or "STATUS" too.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/spacedog-oss/batchkit/spec"
)

// Format is one profile's wire format.
type Format struct {
	Profile string
	Created int // the status of a creation
	// Results splits a batch reply into its results.
	Results func(reply []byte) ([]json.RawMessage, error)
	// Alone is a result as the sub-request, of that method, would have
	// answered on its own.
	Alone func(method string, result json.RawMessage) json.RawMessage
}

// For returns a profile's format.
func For(profile string) (Format, error) {
	switch profile {
	case spec.Doc:
		return Format{Profile: profile, Created: http.StatusOK, Results: bareArray,
			Alone: func(_ string, r json.RawMessage) json.RawMessage { return r }}, nil
	case spec.SpaceDog2016:
		return Format{Profile: profile, Created: http.StatusCreated, Results: envelope, Alone: unwrapReads}, nil
	}
	return Format{}, fmt.Errorf("wire: no profile %q", profile)
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

// Status is a batch result's status: its own status member, or 200 for a
// representation (an object or a listing), which has none.
func Status(result json.RawMessage) int {
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
