package mockserver

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Entry is one request in the journal: a direct request, and for a batch
// its sub-requests as children.
type Entry struct {
	ID          int64           `json:"id"`
	Time        string          `json:"time"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Query       string          `json:"query,omitempty"`
	Backend     string          `json:"backend"`
	User        string          `json:"user"`
	Status      int             `json:"status"`
	DurationMs  float64         `json:"durationMs"`
	Dropped     bool            `json:"dropped,omitempty"`  // a fault dropped the connection
	Request     json.RawMessage `json:"request,omitempty"`  // the body sent (see journalBody)
	Response    json.RawMessage `json:"response,omitempty"` // the body answered
	SubRequests []SubEntry      `json:"subRequests,omitempty"`
}

// SubEntry is a batch item in the journal.
type SubEntry struct {
	Index  int             `json:"index"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Status int             `json:"status"`
	Fault  bool            `json:"fault,omitempty"` // a fault rule answered it
	Result json.RawMessage `json:"result,omitempty"`
}

// journal keeps the last requests, newest first when listed.
type journal struct {
	mu      sync.Mutex
	size    int
	next    int64
	entries []Entry // oldest first; at most size
}

func (j *journal) add(e Entry) {
	if j.size <= 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	e.ID = j.next
	if len(j.entries) == j.size {
		j.entries = append(j.entries[:0], j.entries[1:]...)
	}
	j.entries = append(j.entries, e)
}

func (j *journal) list() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, len(j.entries))
	for i, e := range j.entries {
		out[len(out)-1-i] = e
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = nil
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// journalMax bounds each body the journal keeps: it holds up to
// --journal-size requests, and bodies may be large.
const journalMax = 4 << 10

// journalBody is a body as the journal shows it: the JSON itself when it is
// JSON and small, else a string of its beginning and its size. Bodies are
// never modified once made, so the journal shares them.
func journalBody(b []byte) json.RawMessage {
	switch {
	case len(b) == 0:
		return nil
	case len(b) <= journalMax && json.Valid(b):
		return b
	}
	s := string(b[:min(len(b), journalMax)])
	if len(b) > journalMax {
		s += fmt.Sprintf("... (%d bytes in all)", len(b))
	}
	return encode(s)
}
