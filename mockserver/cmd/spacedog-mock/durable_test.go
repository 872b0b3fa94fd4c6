package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// The steps of a fold, in order, where tests stop it.
var foldSteps = []string{"rotated", "writing", "written", "renamed", "saved", "dropped"}

// openMock loads the mock on the state file with --state-sync always, as
// run does.
func openMock(t *testing.T, file string) (*mockserver.Server, *durable) {
	t.Helper()
	o, err := parse([]string{"--state-file", file, "--state-sync", "always"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	mock, err := mockserver.New(o.cfg)
	if err != nil {
		t.Fatal(err)
	}
	removeLeftovers(file, io.Discard)
	if err := load(mock, o); err != nil {
		t.Fatal(err)
	}
	d, err := openDurable(mock, o)
	if err != nil {
		t.Fatal(err)
	}
	return mock, d
}

// closeMock closes the durable state of mock: its last save and the
// log's close must not fail.
func closeMock(t *testing.T, mock *mockserver.Server, d *durable) {
	t.Helper()
	if err := d.close(mock); err != nil {
		t.Error(err)
	}
}

// create writes object id of type t and reports whether it was acknowledged.
func create(mock *mockserver.Server, id string) bool {
	rec := httptest.NewRecorder()
	mock.ServeHTTP(rec, httptest.NewRequest("POST", "http://localhost/1/data/t?id="+id, strings.NewReader(`{"n":1}`)))
	return rec.Code == 200
}

// ids lists the objects of type t the mock holds.
func ids(t *testing.T, mock *mockserver.Server) map[string]bool {
	out := map[string]bool{}
	for _, raw := range mock.State("")["default"]["t"] {
		var o struct{ Meta struct{ ID string } }
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		out[o.Meta.ID] = true
	}
	return out
}

// Writers from several goroutines while the log folds three times: at
// every step of each fold, the fold stops until writes made after it
// stopped are acknowledged. A write that waited behind the fold (for a
// lock it holds, or an fsync that waits for the state file) would never
// be acknowledged while the fold stands still, and the step would fail.
func TestNoWriteWaitsBehindAFold(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	mock, d := openMock(t, file)
	for i := range 2000 { // a data set for the folds to save
		create(mock, fmt.Sprintf("seed%d", i))
	}
	var acked atomic.Int64
	progress := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if !create(mock, fmt.Sprintf("w%di%d", w, i)) {
					t.Errorf("w%di%d was not acknowledged", w, i)
					return
				}
				acked.Add(1)
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		})
	}
	var during []string
	d.step = func(step string) {
		from := acked.Load()
		for acked.Load() < from+8 && !t.Failed() { // a writer that failed said why
			select {
			case <-progress:
			case <-time.After(time.Minute): // not a timing bound: what a write stuck behind the fold would never end
				t.Errorf("fold at %q: no write acknowledged while it stood still", step)
				return
			}
		}
		during = append(during, step)
	}
	for range 3 {
		if r := d.fold(context.Background(), mock); r.err != nil {
			t.Fatal(r.err)
		}
	}
	cancel()
	wg.Wait()
	if want := 3 * len(foldSteps); len(during) != want {
		t.Errorf("writes were acknowledged during %d steps of the folds, want %d: %v", len(during), want, during)
	}
	d.step = nil
	want := ids(t, mock)
	if err := d.close(mock); err != nil {
		t.Fatal(err)
	}
	again, d2 := openMock(t, file)
	defer closeMock(t, again, d2)
	if got := ids(t, again); len(got) != len(want) {
		t.Errorf("after a restart: %d objects, want %d", len(got), len(want))
	}
}

// A crash at any step of a fold (the files copied as they are then, as a
// SIGKILL leaves them) loads, with every write acknowledged before it,
// those during the fold among them. After the rename, the crash may also
// come before the rename is on disk: then the old state file is there.
func TestACrashAtAnyStepOfAFoldLosesNothingAcknowledged(t *testing.T) {
	for _, crashAt := range foldSteps {
		t.Run(crashAt, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "state.json")
			mock, d := openMock(t, file)
			defer closeMock(t, mock, d)
			var acked []string
			write := func(id string) {
				if !create(mock, id) {
					t.Fatalf("%s was not acknowledged", id)
				}
				acked = append(acked, id)
			}
			for i := range 50 {
				write(fmt.Sprintf("before%d", i))
			}
			if r := d.fold(context.Background(), mock); r.err != nil { // a state file to fold into
				t.Fatal(r.err)
			}
			for i := range 50 {
				write(fmt.Sprintf("between%d", i))
			}
			previous := readFile(t, file)
			var crashes []string
			d.step = func(step string) {
				write("during-" + step)
				if step != crashAt {
					return
				}
				crashes = append(crashes, copyDir(t, dir))
				if step == "renamed" { // the rename not on disk yet
					c := copyDir(t, dir)
					writeFile(t, filepath.Join(c, "state.json"), previous)
					crashes = append(crashes, c)
				}
			}
			if r := d.fold(context.Background(), mock); r.err != nil {
				t.Fatal(r.err)
			}
			d.step = nil
			if len(crashes) == 0 {
				t.Fatalf("the fold never reached %q", crashAt)
			}
			for _, c := range crashes {
				restarted, d2 := openMock(t, filepath.Join(c, "state.json"))
				got := ids(t, restarted)
				closeMock(t, restarted, d2)
				for _, id := range acked {
					if step, ok := strings.CutPrefix(id, "during-"); ok && indexOf(step) > indexOf(crashAt) {
						continue // written after the crash
					}
					if !got[id] {
						t.Errorf("crash at %q: acknowledged %s is lost", crashAt, id)
					}
				}
				if left, err := mockserver.StateFileLeftovers(filepath.Join(c, "state.json")); err != nil || len(left) > 0 {
					t.Errorf("crash at %q: leftovers after the restart: %v %v", crashAt, left, err)
				}
			}
		})
	}
}

func indexOf(step string) int {
	for i, s := range foldSteps {
		if s == step {
			return i
		}
	}
	return -1
}

// copyDir copies the files of dir to a new folder, as a crash leaves them.
func copyDir(t *testing.T, dir string) string {
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A stop while a fold is under way ends it, and leaves a state file that
// holds every acknowledged write, and no segment with a record.
func TestAStopDuringAFoldLeavesEveryWriteInTheStateFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	mock, d := openMock(t, file)
	var acked []string
	for i := range 3000 {
		id := fmt.Sprintf("o%d", i)
		if create(mock, id) {
			acked = append(acked, id)
		}
	}
	inFold, release := make(chan struct{}), make(chan struct{})
	d.step = func(step string) {
		if step == "writing" {
			close(inFold)
			<-release
		}
	}
	d.threshold = 1
	d.tick(mock)
	<-inFold
	for i := range 10 {
		id := fmt.Sprintf("late%d", i)
		if create(mock, id) {
			acked = append(acked, id)
		}
	}
	d.step = nil
	closed := make(chan error, 1)
	go func() { closed <- d.close(mock) }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := mockserver.ParseState(file, data)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st["default"]["t"]); n != len(acked) {
		t.Errorf("the state file holds %d objects, want %d", n, len(acked))
	}
	segs, err := filepath.Glob(file + ".log.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 0 {
			t.Errorf("segment %s holds records after a stop", s)
		}
	}
}
