package mockserver

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/spacedog-oss/batchkit/mockserver/internal/atomicfile"
	"github.com/spacedog-oss/batchkit/mockserver/internal/store"
)

// State: the seed and state files' format, their reading and writing, and
// the change log of a durable mock, replayed at start.

// State is what a seed file and a state file hold, and what GET /_mock/state
// answers: backend → type → objects, oldest first, each as it reads back,
// its fields and its meta. In a seed, meta and each of its members may be
// left out: the id is then generated, the version is 1, the author
// anonymous and the time now. A type with no object is known and empty.
type State map[string]map[string][]json.RawMessage

// State returns the store's content: every backend's, or the named one's.
func (s *Server) State(backend string) State {
	out := State{}
	for name, types := range s.store.Export() {
		if backend != "" && name != backend {
			continue
		}
		out[name] = map[string][]json.RawMessage{}
		for typ, objs := range types {
			list := make([]json.RawMessage, len(objs))
			for i, o := range objs {
				list[i] = appendObject(nil, o)
			}
			out[name][typ] = list
		}
	}
	return out
}

// Load adds a state's objects to the store. A fault is an error that names
// the object (backend/type[index]) and what is wrong; then nothing is added.
func (s *Server) Load(st State) error {
	dump := store.Dump{}
	for _, name := range slices.Sorted(maps.Keys(st)) {
		if err := checkBackend(name); err != nil {
			return err
		}
		dump[name] = map[string][]*store.Object{}
		for _, typ := range slices.Sorted(maps.Keys(st[name])) {
			if err := s.typeName.VisitJSON(typ, openapi3.DisableSchemaErrorDetails()); err != nil {
				return fmt.Errorf("%s: type %q: must match %s", name, typ, s.typeName.Pattern)
			}
			list := []*store.Object{}
			for i, raw := range st[name][typ] {
				o, err := s.seedObject(typ, raw)
				if err != nil {
					return fmt.Errorf("%s/%s[%d]: %w", name, typ, i, err)
				}
				list = append(list, o)
			}
			dump[name][typ] = list
		}
	}
	return s.store.Import(dump)
}

// checkBackend says why a name cannot name a backend, if it cannot: a
// backend is a host's first label, a DNS label (CONTRACT §1). Every name
// a backend gets, from a Host, a state file or Config.Backend, is checked
// here, so that a state the mock saves is one it loads again.
func checkBackend(name string) error {
	if !backendName.MatchString(name) {
		return fmt.Errorf("backend %q: a backend is named by a host's first label: 1 to 63 lower-case letters, digits and dashes, not starting or ending with a dash", name)
	}
	return nil
}

var backendName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// seedObject reads one object of a state: its fields, and its meta where given.
func (s *Server) seedObject(typ string, raw json.RawMessage) (*store.Object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, errors.New("must be a JSON object")
	}
	var meta struct {
		ID                   string
		Type                 string
		Version              int64
		CreatedBy, UpdatedBy string
		CreatedAt, UpdatedAt string
	}
	if m, ok := fields["meta"]; ok {
		data, _ := json.Marshal(m)
		if err := json.Unmarshal(data, &meta); err != nil {
			return nil, fmt.Errorf("meta: %v", err)
		}
		delete(fields, "meta")
	}
	now := s.now()
	o := &store.Object{ID: meta.ID, Type: typ, Version: max(meta.Version, 1),
		CreatedBy: cmp.Or(meta.CreatedBy, "anonymous"), Fields: raw} // the store drops meta
	o.UpdatedBy = cmp.Or(meta.UpdatedBy, o.CreatedBy)
	if o.ID == "" {
		o.ID = s.cfg.NewID()
	} else if err := s.objectID.VisitJSON(o.ID, openapi3.DisableSchemaErrorDetails()); err != nil {
		return nil, fmt.Errorf("meta.id %q: must match %s", o.ID, s.objectID.Pattern)
	}
	if meta.Type != "" && meta.Type != typ {
		return nil, fmt.Errorf("meta.type %q: the object is listed under type %q", meta.Type, typ)
	}
	if meta.Version < 0 {
		return nil, fmt.Errorf("meta.version %d: must be at least 1", meta.Version)
	}
	created, err := seedTime(meta.CreatedAt, now)
	if err != nil {
		return nil, fmt.Errorf("meta.createdAt: %w", err)
	}
	updated, err := seedTime(meta.UpdatedAt, created)
	if err != nil {
		return nil, fmt.Errorf("meta.updatedAt: %w", err)
	}
	o.CreatedAt, o.UpdatedAt = store.At(created), store.At(updated)
	return o, nil
}

func seedTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not UTC ISO-8601 with milliseconds, like 2016-05-24T19:05:53.068Z", s)
	}
	return t, nil
}

// ParseState reads a seed or state file's content. A fault names the file,
// and where it is: the line and column of a syntax error, the path
// (backend/type) of a part of the wrong kind.
func ParseState(file string, data []byte) (State, error) {
	st, err := parseState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return st, nil
}

func parseState(data []byte) (State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%s: %v", lineColumn(data, syn.Offset-1), err)
		}
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more JSON after the state", lineColumn(data, dec.InputOffset()))
	}
	var backends map[string]json.RawMessage
	if err := json.Unmarshal(top, &backends); err != nil || backends == nil {
		return nil, errors.New("the state must be an object of backends, not " + kindOf(top))
	}
	st := State{}
	for _, name := range slices.Sorted(maps.Keys(backends)) {
		var types map[string]json.RawMessage
		if err := json.Unmarshal(backends[name], &types); err != nil || types == nil {
			return nil, fmt.Errorf("%s: must be an object of types, not %s", name, kindOf(backends[name]))
		}
		st[name] = map[string][]json.RawMessage{}
		for _, typ := range slices.Sorted(maps.Keys(types)) {
			var objs []json.RawMessage
			if err := json.Unmarshal(types[typ], &objs); err != nil {
				return nil, fmt.Errorf("%s/%s: must be a list of objects, not %s", name, typ, kindOf(types[typ]))
			}
			st[name][typ] = objs
		}
	}
	return st, nil
}

// lineColumn places a byte offset of data at its line and column, from 1.
func lineColumn(data []byte, offset int64) string {
	before := data[:max(0, min(int(offset), len(data)))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// WriteStateFile writes a state to a file atomically: to a temporary file
// beside it, then renamed over it, so that a crash leaves the old or the
// new state, never half of one.
func WriteStateFile(path string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomically(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// SaveStateFile writes the store's content to a state file atomically, as
// WriteStateFile writes State(""), byte for byte, but one object at a time:
// the document is never whole in memory.
func (s *Server) SaveStateFile(path string) error {
	return writeAtomically(path, s.WriteState)
}

// WriteState writes the store's content to w as SaveStateFile writes it
// to a file, one object at a time, each backend's objects as they were at
// one instant: a writer waits only while its backend's list is copied.
func (s *Server) WriteState(w io.Writer) error {
	if err := s.writeState(w, "", true); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// StateFileLeftovers lists the temporary files that saves of the state file
// at path left behind when they were interrupted (a SIGKILL skips their
// cleanup), for removal at start. Only the mock's own names are listed.
func StateFileLeftovers(path string) ([]string, error) { return atomicfile.Leftovers(path) }

// writeAtomically replaces the file at path by what write writes, whole or
// not at all, durably.
func writeAtomically(path string, write func(io.Writer) error) error {
	_, err := atomicfile.Write(context.Background(), path, write, nil)
	return err
}

// writeState writes the stored objects, every backend's or the named one's,
// as json.Marshal (indent false) or json.MarshalIndent with two spaces
// (true) writes State, but one object at a time, from a snapshot of
// pointers: stored objects are never modified, so none is copied, and no
// lock is held while a slow client reads.
func (s *Server) writeState(w io.Writer, backend string, indent bool) error {
	dump := s.store.Export()
	if backend != "" {
		dump = store.Dump{backend: dump[backend]}
		if dump[backend] == nil {
			dump = store.Dump{}
		}
	}
	sw := &stateWriter{w: bufio.NewWriterSize(w, 32<<10), indent: indent}
	sw.w.WriteByte('{')
	names := slices.Sorted(maps.Keys(dump))
	for i, name := range names {
		sw.member(i, 1, name)
		sw.w.WriteByte('{')
		types := slices.Sorted(maps.Keys(dump[name]))
		for j, typ := range types {
			sw.member(j, 2, typ)
			sw.w.WriteByte('[')
			objs := dump[name][typ]
			for k, o := range objs {
				sw.object(k, o)
			}
			sw.end(len(objs), 2, ']')
		}
		sw.end(len(types), 1, '}')
	}
	sw.end(len(names), 0, '}')
	return sw.w.Flush() // the writer's first error, if any
}

// stateWriter writes a State document piece by piece, with scratch buffers
// that every object reuses.
type stateWriter struct {
	w               *bufio.Writer
	indent          bool
	raw             []byte
	escaped, spaced bytes.Buffer
}

// line starts a new line at depth, when indenting.
func (sw *stateWriter) line(depth int) {
	if sw.indent {
		sw.w.WriteByte('\n')
		for range depth {
			sw.w.WriteString("  ")
		}
	}
}

// member starts the i-th member of an object at depth: its name and colon.
func (sw *stateWriter) member(i, depth int, name string) {
	if i > 0 {
		sw.w.WriteByte(',')
	}
	sw.line(depth)
	sw.raw = appendString(sw.raw[:0], name)
	sw.w.Write(sw.raw)
	sw.w.WriteByte(':')
	if sw.indent {
		sw.w.WriteByte(' ')
	}
}

// end closes an object or array of n members or elements at depth.
func (sw *stateWriter) end(n, depth int, close byte) {
	if n > 0 {
		sw.line(depth)
	}
	sw.w.WriteByte(close)
}

// objectPrefix is an object's place in a State document: a type's list,
// three levels down.
const objectPrefix = "      "

// object writes the k-th object of a type's list as json.Marshal writes a
// json.RawMessage: HTML characters and U+2028/U+2029 escaped, which a
// stored object's field values may hold as the client sent them.
func (sw *stateWriter) object(k int, o *store.Object) {
	if k > 0 {
		sw.w.WriteByte(',')
	}
	sw.line(3)
	sw.raw = appendObject(sw.raw[:0], o)
	sw.escaped.Reset()
	json.HTMLEscape(&sw.escaped, sw.raw)
	if !sw.indent {
		sw.w.Write(sw.escaped.Bytes())
		return
	}
	sw.spaced.Reset()
	json.Indent(&sw.spaced, sw.escaped.Bytes(), objectPrefix, "  ") // a stored object is valid JSON
	sw.w.Write(sw.spaced.Bytes())
}

// The change log.

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
