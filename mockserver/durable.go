package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/spacedog-oss/batchkit/mockserver/internal/store"
)

// ChangeLog is where a durable mock writes each change to its data before
// it answers: an append-only log that makes a position durable on Sync.
type ChangeLog interface {
	Append(record []byte) (end int64)
	End() int64
	Sync(pos int64) error
}

// record is one change, as a log line holds it: the object of a put as it
// reads back, fields and meta, as a state file holds it.
type record struct {
	Op      string          `json:"op"`
	Backend string          `json:"backend"`
	Type    string          `json:"type,omitempty"`
	ID      string          `json:"id,omitempty"`
	Object  json.RawMessage `json:"object,omitempty"`
}

// LogTo writes every change to the data to log from now on, and has each
// request that changed data wait, before its reply leaves, until the log
// is on disk. Call it before serving, after Replay.
func (s *Server) LogTo(log ChangeLog) {
	s.changes = log
	s.store.Observe(func(c store.Change) {
		rec := record{Op: c.Op, Backend: c.Backend, Type: c.Type, ID: c.ID}
		if c.Object != nil {
			rec.Object = appendObject(nil, c.Object)
		}
		log.Append(encode(rec))
	})
}

// durable waits until every change made so far is on disk, when the mock
// logs its changes and the request made one (changes moved since before).
func (s *Server) durable(before uint64, res response) response {
	if s.changes == nil || s.store.Changes() == before {
		return res
	}
	if err := s.changes.Sync(s.changes.End()); err != nil {
		// The change is in memory but may not survive: say so, never 2xx.
		return s.profile.failure(http.StatusInternalServerError, "the state log could not be written: %v; this change may be lost at a restart", err)
	}
	return res
}

// Replay applies the records of a change log, in order, over the data
// loaded from a state file. A record that does not read is an error
// naming its place; then the data may hold the records before it.
func (s *Server) Replay(records [][]byte) error {
	for i, raw := range records {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var rec record
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("record %d: %v", i+1, err)
		}
		c := store.Change{Op: rec.Op, Backend: rec.Backend, Type: rec.Type, ID: rec.ID}
		if rec.Op == store.Put {
			o, err := s.seedObject(rec.Type, rec.Object)
			if err != nil {
				return fmt.Errorf("record %d: %s/%s: %v", i+1, rec.Backend, rec.Type, err)
			}
			c.Object, c.ID = o, o.ID
		}
		if err := s.store.Apply(c); err != nil {
			return fmt.Errorf("record %d: %v", i+1, err)
		}
	}
	return nil
}
