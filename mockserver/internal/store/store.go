// Package store keeps SpaceDog data objects in memory, one set of types per
// backend, with the data API's semantics: versions, merge or strict updates,
// optimistic locking and listings.
//
// Stored objects are never modified: an update stores a new *Object. So an
// *Object handed out stays valid and safe to read after the lock is released.
package store

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors, matched with errors.Is; the returned errors carry the contract's
// message with the type and id.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Object is a stored data object.
type Object struct {
	ID, Type             string
	Version              int64
	CreatedBy, UpdatedBy string
	CreatedAt, UpdatedAt Time
	// Fields is the object's fields as a JSON object, without meta: for
	// Import, any valid JSON object; once stored, the form storedFields makes.
	// Never modified once stored.
	Fields []byte
	seq    uint64 // creation order, for listings
}

// Time is an instant at millisecond precision, the precision meta shows:
// 8 bytes where a time.Time takes 24, in every stored object.
type Time int64 // milliseconds since the Unix epoch

// At is t at millisecond precision.
func At(t time.Time) Time { return Time(t.UnixMilli()) }

// Time is the instant, in UTC.
func (t Time) Time() time.Time { return time.UnixMilli(int64(t)).UTC() }

// FieldsJSON is the object's fields as a JSON object, without meta.
func (o *Object) FieldsJSON() []byte { return o.Fields }

// Store holds every backend's data. The zero value is not usable: use New.
type Store struct {
	newID    func() string
	changes  atomic.Uint64
	mu       sync.Mutex
	backends map[string]*Backend
	observe  func(Change) // nil: none
}

// New returns an empty store whose generated ids come from newID.
func New(newID func() string) *Store {
	return &Store{newID: newID, backends: map[string]*Backend{}}
}

// Observe has every change to the data told to f, in the order the
// changes take effect for each backend: f runs under the lock of the
// change, so it must be quick and must not call the store. Set it before
// the store is used.
func (s *Store) Observe(f func(Change)) { s.observe = f }

// Change is one change to the data, as Apply replays it.
type Change struct {
	Op      string // Put, Delete, DeleteType, DeleteAll or Reset
	Backend string // for Reset, "" means every backend
	Type    string
	ID      string
	Object  *Object // for Put: the object as stored
}

// The operations of a Change.
const (
	Put        = "put"
	Delete     = "delete"
	DeleteType = "deleteType"
	DeleteAll  = "deleteAll"
	Reset      = "reset"
)

func (s *Store) changed(c Change) {
	s.changes.Add(1)
	if s.observe != nil {
		s.observe(c)
	}
}

// Apply replays a change. It is idempotent: a change applied twice, or
// over a state that already holds it, leaves what applying it once does.
func (s *Store) Apply(c Change) error {
	if c.Op == Reset {
		s.reset(c.Backend)
		s.changes.Add(1)
		return nil
	}
	b := s.Backend(c.Backend)
	if b.types == nil {
		b = s.register(b)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch c.Op {
	case Put:
		o := *c.Object
		o.Type = c.Type
		if o.Fields == nil {
			o.Fields = []byte("{}")
		}
		o.Fields = storedFields(o.Fields)
		if b.types[c.Type] == nil {
			b.types[c.Type] = map[string]*Object{}
		}
		if old := b.types[c.Type][o.ID]; old != nil {
			o.seq = old.seq
		} else {
			b.seq++
			o.seq = b.seq
		}
		b.types[c.Type][o.ID] = &o
	case Delete:
		delete(b.types[c.Type], c.ID)
	case DeleteType:
		b.types[c.Type] = map[string]*Object{}
	case DeleteAll:
		for t := range b.types {
			b.types[t] = map[string]*Object{}
		}
	default:
		return fmt.Errorf("store: no change %q", c.Op)
	}
	s.changes.Add(1)
	return nil
}

// Backend returns the named backend's data. Only writes create one, so that
// reads naming any host leave nothing behind.
func (s *Store) Backend(name string) *Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.backends[name]; b != nil {
		return b
	}
	return &Backend{store: s, name: name}
}

// register makes b, which had no data yet, the named backend's, unless a
// concurrent write got there first: then that one is returned.
func (s *Store) register(b *Backend) *Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	if have := s.backends[b.name]; have != nil {
		return have
	}
	b.types = map[string]map[string]*Object{}
	s.backends[b.name] = b
	return b
}

// Backend is one tenant's data. Each method is atomic.
type Backend struct {
	store *Store
	name  string
	mu    sync.RWMutex
	types map[string]map[string]*Object // a known type may hold no object
	seq   uint64
	// names holds one copy of each type name and author its objects
	// carry: a request's strings would keep its whole path or header
	// alive, once per object.
	names map[string]string
}

// intern returns the backend's copy of s. Call it under b.mu.
func (b *Backend) intern(s string) string {
	if n, ok := b.names[s]; ok {
		return n
	}
	if b.names == nil {
		b.names = map[string]string{}
	}
	s = strings.Clone(s)
	b.names[s] = s
	return s
}

func notFound(typ, id string) error {
	return fmt.Errorf("object [%s] of type [%s] %w", id, typ, ErrNotFound)
}

func typeNotFound(typ string) error {
	return fmt.Errorf("type [%s] %w", typ, ErrNotFound)
}

// Create stores a new object of type typ, which becomes known. An empty id
// asks for a generated one. An id that exists is a conflict, or with
// overwrite the object is replaced whole: new fields and meta, the next
// version (the 2016 server indexed over it).
// The payload is a valid JSON object.
func (b *Backend) Create(typ, id string, payload []byte, by string, now func() time.Time, overwrite bool) (*Object, error) {
	fields := storedFields(payload) // outside the lock
	if b.types == nil {             // a backend without data, which only this caller holds
		b = b.store.register(b)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	typ, by = b.intern(typ), b.intern(by)
	objs := b.types[typ]
	if objs == nil {
		objs = map[string]*Object{}
		b.types[typ] = objs
	}
	if id == "" {
		for id == "" || objs[id] != nil {
			id = b.store.newID()
		}
	} else {
		id = strings.Clone(id) // not the request's query string, kept alive
	}
	version := int64(1)
	if old := objs[id]; old != nil && !overwrite {
		return nil, fmt.Errorf("object [%s] of type [%s] already exists: %w", id, typ, ErrConflict)
	} else if old != nil {
		version = old.Version + 1
	}
	b.seq++
	at := now() // under the lock: no later write of the backend is stamped earlier
	o := &Object{ID: id, Type: typ, Version: version, CreatedBy: by, UpdatedBy: by,
		CreatedAt: At(at), UpdatedAt: At(at), Fields: fields, seq: b.seq}
	objs[id] = o
	b.store.changed(Change{Op: Put, Backend: b.name, Type: typ, ID: id, Object: o})
	return o, nil
}

// Get returns the object.
func (b *Backend) Get(typ, id string) (*Object, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	objs, ok := b.types[typ]
	if !ok {
		return nil, typeNotFound(typ)
	}
	o := objs[id]
	if o == nil {
		return nil, notFound(typ, id)
	}
	return o, nil
}

// Update sets the payload's top-level fields and keeps the others, or with
// strict replaces them all. A version other than 0 must be the current
// one. The payload is a valid JSON object.
func (b *Backend) Update(typ, id string, payload []byte, strict bool, version int64, by string, now func() time.Time) (*Object, error) {
	var fields []byte
	if strict {
		fields = storedFields(payload) // outside the lock
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.types[typ]
	if !ok {
		return nil, typeNotFound(typ)
	}
	old := objs[id]
	if old == nil {
		return nil, notFound(typ, id)
	}
	if version != 0 && version != old.Version {
		return nil, fmt.Errorf("version [%d] of object [%s] of type [%s] is not its current version [%d]: %w",
			version, id, typ, old.Version, ErrConflict)
	}
	if !strict {
		fields = merged(old.Fields, payload)
	}
	o := *old
	o.Fields, o.Version, o.UpdatedBy, o.UpdatedAt = fields, old.Version+1, b.intern(by), At(now()) // under the lock
	objs[id] = &o
	b.store.changed(Change{Op: Put, Backend: b.name, Type: typ, ID: id, Object: &o})
	return &o, nil
}

// Delete removes the object.
func (b *Backend) Delete(typ, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.types[typ]
	if !ok {
		return typeNotFound(typ)
	}
	if objs[id] == nil {
		return notFound(typ, id)
	}
	delete(objs, id)
	b.store.changed(Change{Op: Delete, Backend: b.name, Type: typ, ID: id})
	return nil
}

// DeleteType removes every object of the type, which stays known, and
// says how many there were.
func (b *Backend) DeleteType(typ string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.types[typ]
	if !ok {
		return 0, typeNotFound(typ)
	}
	b.types[typ] = map[string]*Object{}
	b.store.changed(Change{Op: DeleteType, Backend: b.name, Type: typ})
	return len(objs), nil
}

// DeleteAll removes every object; the types stay known.
func (b *Backend) DeleteAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for t := range b.types {
		b.types[t] = map[string]*Object{}
	}
	b.store.changed(Change{Op: DeleteAll, Backend: b.name})
}

// List returns how many objects of the type (every type when typ is "")
// there are, and at most size of them from from on, oldest first.
func (b *Backend) List(typ string, from, size int) (total int, page []*Object, err error) {
	b.mu.RLock()
	var all []*Object
	if typ == "" {
		for _, objs := range b.types {
			all = slices.AppendSeq(all, maps.Values(objs))
		}
	} else if objs, ok := b.types[typ]; ok {
		all = slices.AppendSeq(all, maps.Values(objs))
	} else {
		b.mu.RUnlock()
		return 0, nil, typeNotFound(typ)
	}
	b.mu.RUnlock()
	slices.SortFunc(all, func(x, y *Object) int { return cmp.Compare(x.seq, y.seq) })
	from = min(from, len(all))
	end := from + min(size, len(all)-from) // no from+size: it can overflow
	return len(all), all[from:end], nil
}

// Changes counts the writes since the store was made: it moves on each
// change of any backend's data, and only then.
func (s *Store) Changes() uint64 { return s.changes.Load() }

// Dump is the whole store, in order: backend → type → objects, oldest
// first. A type with no object is a known, empty type.
type Dump map[string]map[string][]*Object

// Export copies the store's content, each type's objects oldest first,
// each backend's as they were at one instant. Only the references are
// copied under the backend's lock, and sorted after it: a writer waits
// for a copy of pointers, not for a sort of the whole data set.
func (s *Store) Export() Dump {
	s.mu.Lock()
	backends := maps.Clone(s.backends)
	s.mu.Unlock()
	out := Dump{}
	for name, b := range backends {
		b.mu.RLock()
		types := make(map[string][]*Object, len(b.types))
		for t, objs := range b.types {
			list := make([]*Object, 0, len(objs))
			for _, o := range objs {
				list = append(list, o)
			}
			types[t] = list
		}
		b.mu.RUnlock()
		for _, list := range types {
			slices.SortFunc(list, func(x, y *Object) int { return cmp.Compare(x.seq, y.seq) })
		}
		out[name] = types
	}
	return out
}

// Import adds a dump's objects to the store, in the dump's order, after
// the objects already there. An object whose id its type already holds is
// an error, and then nothing is imported. It is meant for start-up: writes
// running meanwhile may interleave with it.
func (s *Store) Import(d Dump) error {
	for name, types := range d {
		for typ, objs := range types {
			seen := map[string]bool{}
			for _, o := range objs {
				if seen[o.ID] {
					return fmt.Errorf("%s/%s: id [%s] twice: %w", name, typ, o.ID, ErrConflict)
				}
				seen[o.ID] = true
				if _, err := s.Backend(name).Get(typ, o.ID); err == nil {
					return fmt.Errorf("%s/%s: id [%s] is stored already: %w", name, typ, o.ID, ErrConflict)
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(d)) {
		b := s.Backend(name)
		if b.types == nil {
			b = s.register(b)
		}
		b.mu.Lock()
		for _, typ := range slices.Sorted(maps.Keys(d[name])) {
			if b.types[typ] == nil {
				b.types[typ] = map[string]*Object{}
			}
			for _, o := range d[name][typ] {
				c := *o
				c.Type = typ
				if c.Fields == nil {
					c.Fields = []byte("{}")
				}
				c.Fields = storedFields(c.Fields)
				b.seq++
				c.seq = b.seq
				b.types[typ][c.ID] = &c
			}
		}
		b.mu.Unlock()
	}
	s.changes.Add(1)
	return nil
}

// Reset forgets the named backend's data, types included; with no name,
// every backend's.
func (s *Store) Reset(name string) {
	s.reset(name)
	s.changed(Change{Op: Reset, Backend: name})
}

func (s *Store) reset(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		s.backends = map[string]*Backend{}
	} else {
		delete(s.backends, name)
	}
}
