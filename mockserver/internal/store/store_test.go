package store

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A backend's first writes may race each other: none may be lost to a
// backend registered twice.
func TestConcurrentFirstWritesToABackend(t *testing.T) {
	for range 50 {
		s := New(func() string { return "" })
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := s.Backend("new").Create("t", fmt.Sprint(i), []byte(`{}`), "u", fixed(time.Time{}), false); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := len(s.Export()["new"]["t"]); n != 8 {
			t.Fatalf("%d objects of 8 concurrent first writes", n)
		}
	}
}

func TestReadsLeaveNoBackendBehind(t *testing.T) {
	s := New(func() string { return "x" })
	b := s.Backend("ghost")
	if _, err := b.Get("t", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get: %v", err)
	}
	if _, _, err := b.List("t", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("List: %v", err)
	}
	if total, _, err := b.List("", 0, 10); err != nil || total != 0 {
		t.Errorf("List all: %d %v", total, err)
	}
	b.DeleteAll()
	if len(s.Export()) != 0 {
		t.Error("reads registered a backend")
	}
}

func TestGeneratedIDsNeverCollide(t *testing.T) {
	ids := []string{"a", "a", "a", "b"}
	s := New(func() string { id := ids[0]; ids = ids[1:]; return id })
	b := s.Backend("x")
	for _, want := range []string{"a", "b"} {
		o, err := b.Create("t", "", []byte(`{}`), "u", fixed(time.Time{}), false)
		if err != nil || o.ID != want {
			t.Fatalf("Create: %v %v, want id %s", o, err, want)
		}
	}
}

func TestCreateOverAnExistingIDConflictsOrReplaces(t *testing.T) {
	b := New(func() string { return "gen" }).Backend("b")
	t0, t1 := time.Unix(0, 0), time.Unix(60, 0)
	if _, err := b.Create("t", "k", []byte(`{"a":1,"b":2}`), "fred", fixed(t0), false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create("t", "k", []byte(`{"c":3}`), "vince", fixed(t1), false); !errors.Is(err, ErrConflict) {
		t.Errorf("create over k: %v, want a conflict", err)
	}
	o, err := b.Create("t", "k", []byte(`{"c":3}`), "vince", fixed(t1), true)
	if err != nil {
		t.Fatal(err)
	}
	if o.Version != 2 || o.CreatedBy != "vince" || !o.CreatedAt.Time().Equal(t1) || string(o.FieldsJSON()) != `{"c":3}` {
		t.Errorf("overwritten: version %d, by %s at %v, fields %s; want 2, vince, %v, {\"c\":3}", o.Version, o.CreatedBy, o.CreatedAt, o.FieldsJSON(), t1)
	}
	if n, err := b.DeleteType("t"); n != 1 || err != nil {
		t.Errorf("DeleteType = %d, %v; want 1 object", n, err)
	}
	if n, err := b.DeleteType("t"); n != 0 || err != nil {
		t.Errorf("DeleteType of an emptied type = %d, %v; want 0, no error", n, err)
	}
}

// Replaying the changes a store told, once or with a prefix twice (a log
// over a snapshot that already holds part of it), makes the same store.
func TestChangesReplayToTheSameStore(t *testing.T) {
	var log []Change
	a := New(func() string { return fmt.Sprint(time.Now().UnixNano()) })
	a.Observe(func(c Change) { log = append(log, c) })
	// made fails the test on a change refused: it would be missing from
	// the log and the store alike, and the replay would not test it.
	made := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := time.Unix(1, 0)
	b1 := a.Backend("one")
	made(b1.Create("t", "x", []byte(`{"a":1}`), "u", fixed(at), false))
	made(b1.Create("t", "y", []byte(`{"a":2}`), "u", fixed(at), false))
	made(b1.Update("t", "x", []byte(`{"b":3}`), false, 0, "v", fixed(at)))
	made(nil, b1.Delete("t", "y"))
	made(a.Backend("two").Create("s", "z", []byte(`{}`), "u", fixed(at), false))
	made(a.Backend("two").DeleteType("s"))
	made(a.Backend("two").Create("s", "w", []byte(`{"c":[1]}`), "u", fixed(at), false))
	made(a.Backend("three").Create("r", "q", []byte(`{}`), "u", fixed(at), false))
	a.Reset("three")
	made(b1.Create("u", "k", []byte(`{}`), "u", fixed(at), false))
	b1.DeleteAll()
	made(b1.Create("u", "k", []byte(`{"again":true}`), "u", fixed(at), false))
	want := a.Export()
	for _, replay := range [][]Change{log, append(append([]Change{}, log[:5]...), log...)} {
		b := New(nil)
		for _, c := range replay {
			if err := b.Apply(c); err != nil {
				t.Fatal(err)
			}
		}
		if got := b.Export(); !equalDumps(got, want) {
			t.Errorf("replayed %d changes: %v, want %v", len(replay), dumpString(got), dumpString(want))
		}
	}
	if err := New(nil).Apply(Change{Op: "rename"}); err == nil {
		t.Error("an unknown change was applied")
	}
}

func dumpString(d Dump) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(d)) {
		for _, typ := range slices.Sorted(maps.Keys(d[name])) {
			fmt.Fprintf(&b, "%s/%s:", name, typ)
			for _, o := range d[name][typ] {
				fmt.Fprintf(&b, " %s v%d %s %s;", o.ID, o.Version, o.UpdatedBy, o.Fields)
			}
			b.WriteString(" ")
		}
	}
	return b.String()
}

func equalDumps(a, b Dump) bool { return dumpString(a) == dumpString(b) }

// fixed is a clock stopped at t.
func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

// The clock is read under the backend's lock: updates racing on one object
// are stamped in the order they take effect, so a later version is never
// stamped earlier (a clock read before the lock let version 2 read back
// as updated before its creation).
func TestWritesAreStampedInTheOrderTheyTakeEffect(t *testing.T) {
	b := New(nil).Backend("b")
	var tick atomic.Int64
	clock := func() time.Time {
		runtime.Gosched() // let another writer in between the reading and the write, if it can
		return time.UnixMilli(tick.Add(1))
	}
	if _, err := b.Create("t", "k", []byte(`{}`), "u", clock, false); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	stamps := map[int64]time.Time{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				o, err := b.Update("t", "k", []byte(`{"n":1}`), false, 0, "u", clock)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				stamps[o.Version] = o.UpdatedAt.Time()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for v := int64(3); v <= 401; v++ {
		if stamps[v].Before(stamps[v-1]) {
			t.Fatalf("version %d stamped %s, before version %d's %s", v, stamps[v], v-1, stamps[v-1])
		}
	}
}
