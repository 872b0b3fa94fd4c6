package proxy

import "encoding/json"

// Violation is one way a backend's reply broke the profile's document.
type Violation struct {
	ID        int64           `json:"id"`
	Time      string          `json:"time"`
	Method    string          `json:"method"`
	Path      string          `json:"path"`
	Query     string          `json:"query,omitempty"`
	Index     int             `json:"index"`               // the batch result's index; -1 for the reply itself
	Operation string          `json:"operation,omitempty"` // the operationId the reply or result was judged by
	Pointer   string          `json:"pointer,omitempty"`   // where in the body or result, a JSON pointer
	Keyword   string          `json:"keyword,omitempty"`   // the schema keyword that failed
	Message   string          `json:"message"`
	Status    int             `json:"status"`
	Request   json.RawMessage `json:"request,omitempty"`  // the body sent, as Config.Show keeps it
	Response  json.RawMessage `json:"response,omitempty"` // the body answered
}

// Violations returns the last violations kept, oldest first.
func (p *Proxy) Violations() []Violation {
	items := p.found.Items()
	out := make([]Violation, len(items))
	for i, it := range items {
		out[i] = it.V
	}
	return out
}

// Seen counts the violations found since the proxy started, those cleared
// included.
func (p *Proxy) Seen() int64 { return p.found.Added() }

// ClearViolations forgets the violations kept; Seen still counts them.
func (p *Proxy) ClearViolations() { p.found.Clear() }
