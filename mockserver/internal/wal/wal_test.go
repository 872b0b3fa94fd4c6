package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// must fails the test on the error of a step it goes on from.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecordsSurviveAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	l, recs, _, err := Open(path)
	if err != nil || len(recs) != 0 {
		t.Fatalf("a new log: %v, %d records", err, len(recs))
	}
	for i := range 5 {
		if err := l.Sync(l.Append([]byte(fmt.Sprintf(`{"n":%d}`, i)))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, l.Close())
	l, recs, _, err = Open(path)
	if err != nil || len(recs) != 5 || string(recs[4]) != `{"n":4}` {
		t.Fatalf("reopened: %v, %q", err, recs)
	}
	must(t, l.Close())
}

// A crash in the middle of an append: every cut of the last record is
// dropped, never loaded half, and appends go on after it.
func TestATornLastRecordIsDropped(t *testing.T) {
	whole := string(encode([]byte(`{"a":1}`))) + string(encode([]byte(`{"b":2}`)))
	first := len(encode([]byte(`{"a":1}`)))
	for cut := first; cut < len(whole); cut++ {
		path := filepath.Join(t.TempDir(), "state.log")
		must(t, os.WriteFile(path+".1", []byte(whole[:cut]), 0o644))
		l, recs, _, err := Open(path)
		if err != nil || len(recs) != 1 || string(recs[0]) != `{"a":1}` {
			t.Fatalf("cut at %d: %v, %q", cut, err, recs)
		}
		must(t, l.Sync(l.Append([]byte(`{"c":3}`))))
		must(t, l.Close())
		if _, recs, _, err := Open(path); err != nil || len(recs) != 2 || string(recs[1]) != `{"c":3}` {
			t.Fatalf("cut at %d, then an append: %v, %q", cut, err, recs)
		}
	}
}

// Damage before the last record is corruption: an error with the line,
// and the file left as it was.
func TestADamagedRecordStopsTheOpenWithItsLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	content := string(encode([]byte(`{"a":1}`))) + strings.Replace(string(encode([]byte(`{"b":2}`))), "2", "3", 1) + string(encode([]byte(`{"c":3}`)))
	must(t, os.WriteFile(path+".4", []byte(content), 0o644))
	_, _, _, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "state.log.4:2:") {
		t.Fatalf("a damaged record: %v", err)
	}
	if after, err := os.ReadFile(path + ".4"); err != nil || string(after) != content {
		t.Errorf("the damaged log was changed: %v", err)
	}
}

func TestConcurrentWritersShareSyncsAndLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	l, _, _, err := Open(path)
	must(t, err)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if err := l.Sync(l.Append([]byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// Rotations among the writers: a record synced in a retired segment
	// is as durable as one in the newest.
	for range 5 {
		if _, err := l.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	must(t, l.Close())
	if _, recs, _, err := Open(path); err != nil || len(recs) != 400 {
		t.Fatalf("%v, %d records, want 400", err, len(recs))
	}
}

// Segments are read in their order, the log from before segments first,
// the 10th after the 9th; Drop removes those before its mark only.
func TestSegmentsAreReadInOrderAndDroppedBeforeTheirMark(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.log")
	must(t, os.WriteFile(path, encode([]byte(`{"n":0}`)), 0o644)) // a log from before segments
	must(t, os.WriteFile(path+".9", encode([]byte(`{"n":9}`)), 0o644))
	must(t, os.WriteFile(path+".10", encode([]byte(`{"n":10}`)), 0o644))
	must(t, os.WriteFile(path+".x", encode([]byte(`{"n":"x"}`)), 0o644)) // not a segment
	l, recs, opened, err := Open(path)
	if err != nil || fmt.Sprintf("%s", recs) != `[{"n":0} {"n":9} {"n":10}]` {
		t.Fatalf("%v, %s", err, recs)
	}
	must(t, l.Sync(l.Append([]byte(`{"n":11}`)))) // in segment 11
	rotated, err := l.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	must(t, l.Sync(l.Append([]byte(`{"n":12}`)))) // in segment 12
	if err := l.Drop(opened); err != nil {
		t.Fatal(err)
	}
	if _, recs, _, err := Open(path); err != nil || fmt.Sprintf("%s", recs) != `[{"n":11} {"n":12}]` {
		t.Fatalf("after the drop of what Open read: %v, %s", err, recs)
	}
	if err := l.Drop(rotated); err != nil {
		t.Fatal(err)
	}
	must(t, l.Close())
	if _, recs, _, err := Open(path); err != nil || fmt.Sprintf("%s", recs) != `[{"n":12}]` {
		t.Fatalf("after the drop of what was rotated: %v, %s", err, recs)
	}
	if _, err := os.Stat(path + ".x"); err != nil {
		t.Error("a file that is no segment was removed")
	}
	must(t, os.WriteFile(path+".compact-123", nil, 0o644))
	if left, err := Leftovers(path); err != nil || len(left) != 1 || !strings.HasSuffix(left[0], ".compact-123") {
		t.Errorf("leftovers %v %v", left, err)
	}
}
