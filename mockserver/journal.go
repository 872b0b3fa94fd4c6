package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/spacedog-oss/batchkit/internal/ring"
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

// newEntry opens the journal entry of a direct request that came at start.
func newEntry(r *http.Request, start time.Time, defaultBackend string) Entry {
	return Entry{Time: start.UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Backend: backendOf(r.Host, defaultBackend), User: userOf(r.Header)}
}

// journal keeps the last requests, newest first when listed.
type journal struct{ ring *ring.Ring[Entry] }

func newJournal(size int) journal { return journal{ring.New[Entry](size)} }

func (j journal) add(e Entry) { j.ring.Add(e) }

func (j journal) list() []Entry {
	items := j.ring.Items()
	out := make([]Entry, len(items))
	for i, it := range items {
		it.V.ID = it.N
		out[len(items)-1-i] = it.V
	}
	return out
}

// clear forgets the requests; IDs start again from 1.
func (j journal) clear() { j.ring.Reset() }

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
