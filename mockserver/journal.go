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

// journal keeps the last requests, newest first when listed, and tells
// those waiting for news (the page's long polls) of each one.
type journal struct {
	ring *ring.Ring[Entry]
	news *news
}

func newJournal(size int) journal { return journal{ring.New[Entry](size), newNews()} }

func (j journal) add(e Entry) {
	j.ring.Add(e)
	j.news.announce()
}

func (j journal) list() []Entry { return j.since(0) }

// since lists the requests numbered after n, newest first.
func (j journal) since(n int64) []Entry {
	items := j.ring.Items()
	out := make([]Entry, 0, len(items))
	for i := len(items) - 1; i >= 0 && items[i].N > n; i-- {
		it := items[i]
		it.V.ID = it.N
		out = append(out, it.V)
	}
	return out
}

// last is the number of the last request journaled, 0 after a clear.
func (j journal) last() int64 { return j.ring.Added() }

// clear forgets the requests; IDs start again from 1.
func (j journal) clear() {
	j.ring.Reset()
	j.news.announce()
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
