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

// journal keeps the last requests in a ring, newest first when listed.
type journal struct {
	mu      sync.Mutex
	size    int
	next    int64   // the ID of the last entry added
	entries []Entry // a ring: entry ID n is at (n-1) % size
}

func (j *journal) add(e Entry) {
	if j.size <= 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	e.ID = j.next
	if len(j.entries) < j.size {
		j.entries = append(j.entries, e)
		return
	}
	j.entries[(j.next-1)%int64(j.size)] = e
}

func (j *journal) list() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, len(j.entries))
	for id := j.next; id > j.next-int64(len(j.entries)); id-- {
		out = append(out, j.entries[(id-1)%int64(j.size)])
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = nil
	j.next = 0
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// journalMax bounds each body the journal keeps: it holds up to
// --journal-size requests, and bodies may be large.
const journalMax = 4 << 10

// journalBody is a body as the journal shows it: the JSON itself when it is
// JSON and small, else a string of its beginning and its size. Bodies are
// never modified once made, so the journal shares them. The mock's own
// bodies are JSON by construction; a client's are checked.
func journalBody(b []byte, ours bool) json.RawMessage {
	switch {
	case len(b) == 0:
		return nil
	case len(b) <= journalMax && (ours || json.Valid(b)):
		return b
	}
	s := string(b[:min(len(b), journalMax)])
	if len(b) > journalMax {
		s += fmt.Sprintf("... (%d bytes in all)", len(b))
	}
	return encode(s)
}
