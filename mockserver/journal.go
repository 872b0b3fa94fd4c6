package mockserver

import (
	"sync"
	"time"
)

// Entry is one request in the journal: a direct request, and for a batch
// its sub-requests as children.
type Entry struct {
	ID          int64      `json:"id"`
	Time        string     `json:"time"`
	Method      string     `json:"method"`
	Path        string     `json:"path"`
	Query       string     `json:"query,omitempty"`
	Backend     string     `json:"backend"`
	User        string     `json:"user"`
	Status      int        `json:"status"`
	DurationMs  float64    `json:"durationMs"`
	Dropped     bool       `json:"dropped,omitempty"` // a fault dropped the connection
	SubRequests []SubEntry `json:"subRequests,omitempty"`
}

// SubEntry is a batch item in the journal.
type SubEntry struct {
	Index  int    `json:"index"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	Fault  bool   `json:"fault,omitempty"` // a fault rule answered it
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
