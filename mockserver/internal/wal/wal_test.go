package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRecordsSurviveAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	l, recs, err := Open(path)
	if err != nil || len(recs) != 0 {
		t.Fatalf("a new log: %v, %d records", err, len(recs))
	}
	for i := range 5 {
		if err := l.Sync(l.Append([]byte(fmt.Sprintf(`{"n":%d}`, i)))); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	l, recs, err = Open(path)
	if err != nil || len(recs) != 5 || string(recs[4]) != `{"n":4}` {
		t.Fatalf("reopened: %v, %q", err, recs)
	}
	l.Close()
}

// A crash in the middle of an append: every cut of the last record is
// dropped, never loaded half, and cut off the file.
func TestATornLastRecordIsDropped(t *testing.T) {
	dir := t.TempDir()
	whole := string(encode([]byte(`{"a":1}`))) + string(encode([]byte(`{"b":2}`)))
	first := len(encode([]byte(`{"a":1}`)))
	for cut := first; cut < len(whole); cut++ {
		path := filepath.Join(dir, fmt.Sprintf("cut%d.log", cut))
		os.WriteFile(path, []byte(whole[:cut]), 0o644)
		l, recs, err := Open(path)
		if err != nil || len(recs) != 1 || string(recs[0]) != `{"a":1}` {
			t.Fatalf("cut at %d: %v, %q", cut, err, recs)
		}
		l.Sync(l.Append([]byte(`{"c":3}`)))
		l.Close()
		if _, recs, err := Open(path); err != nil || len(recs) != 2 || string(recs[1]) != `{"c":3}` {
			t.Fatalf("cut at %d, then an append: %v, %q", cut, err, recs)
		}
	}
}

// Damage before the last record is corruption: an error with the line,
// and the file left as it was.
func TestADamagedRecordStopsTheOpenWithItsLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	content := string(encode([]byte(`{"a":1}`))) + strings.Replace(string(encode([]byte(`{"b":2}`))), "2", "3", 1) + string(encode([]byte(`{"c":3}`)))
	os.WriteFile(path, []byte(content), 0o644)
	_, _, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "state.log:2:") {
		t.Fatalf("a damaged record: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != content {
		t.Error("the damaged log was changed")
	}
}

func TestConcurrentWritersShareSyncsAndLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	l, _, _ := Open(path)
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
	wg.Wait()
	l.Close()
	if _, recs, err := Open(path); err != nil || len(recs) != 400 {
		t.Fatalf("%v, %d records, want 400", err, len(recs))
	}
}

func TestCompactKeepsTheRecordsAfterThePosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	l, _, _ := Open(path)
	l.Append([]byte(`{"old":1}`))
	pos := l.Append([]byte(`{"old":2}`))
	l.Append([]byte(`{"new":3}`))
	if err := l.Compact(pos); err != nil {
		t.Fatal(err)
	}
	l.Sync(l.Append([]byte(`{"new":4}`)))
	l.Close()
	_, recs, err := Open(path)
	if err != nil || len(recs) != 2 || string(recs[0]) != `{"new":3}` || string(recs[1]) != `{"new":4}` {
		t.Fatalf("after compaction: %v, %q", err, recs)
	}
	os.WriteFile(path+".compact-123", nil, 0o644)
	os.WriteFile(path+".other", nil, 0o644)
	if left, _ := Leftovers(path); len(left) != 1 || !strings.HasSuffix(left[0], ".compact-123") {
		t.Errorf("leftovers %v", left)
	}
}
