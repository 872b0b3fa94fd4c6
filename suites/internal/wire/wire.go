// Package wire is what the suites know of each profile's wire format
// (CONTRACT §7): how a batch reply holds its results, how a result relates
// to the same request's answer on its own, and a creation's status.
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
	var e struct {
		Success   *bool
		Status    *int
		Responses *[]json.RawMessage
	}
	if err := json.Unmarshal(reply, &e); err != nil || e.Success == nil || !*e.Success ||
		e.Status == nil || *e.Status != http.StatusOK || e.Responses == nil {
		return nil, fmt.Errorf(`the spacedog-2016 profile's batch reply is {"success":true,"status":200,"responses":[...]}, not %.200s`, reply)
	}
	return *e.Responses, nil
}

// Status is a batch result's status: its own status member, or 200 for a
// representation (an object or a listing), which has none.
func Status(result json.RawMessage) int {
	var s struct{ Status *int }
	if json.Unmarshal(result, &s) == nil && s.Status != nil {
		return *s.Status
	}
	return http.StatusOK
}

// unwrapReads takes a successful GET's representation out of its envelope.
func unwrapReads(method string, r json.RawMessage) json.RawMessage {
	if !bytes.EqualFold([]byte(method), []byte(http.MethodGet)) {
		return r
	}
	var w struct {
		Success bool
		Status  int
		Content json.RawMessage
	}
	if json.Unmarshal(r, &w) == nil && w.Success && w.Status == http.StatusOK && w.Content != nil {
		return w.Content
	}
	return r
}
