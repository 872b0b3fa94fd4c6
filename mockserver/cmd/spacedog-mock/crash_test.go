package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashRound starts the mock on the state file, lets clients write under
// load, kills it with SIGKILL at a random moment, and returns the ids whose
// creation was acknowledged, those that were refused, and those sent but
// never answered (the kill came first): these may or may not be stored.
func crashRound(t *testing.T, rng *rand.Rand, round int, args ...string) (acked, refused, unanswered []string) {
	r := start(t, args...)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for c := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("r%dc%di%d", round, c, i)
				body := `{"n":1}`
				if i%7 == 3 { // a payload that is no object: refused, and must leave nothing
					body = `[1]`
				}
				req, err := http.NewRequestWithContext(ctx, "POST", r.url+"/1/data/crash?id="+id, strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					unanswered = append(unanswered, id)
					mu.Unlock()
					return // the kill, or the end
				}
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode == 200 {
					acked = append(acked, id)
				} else {
					refused = append(refused, id)
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Duration(30+rng.IntN(150)) * time.Millisecond)
	r.kill() // no handler runs, no save
	cancel()
	wg.Wait()
	return acked, refused, unanswered
}

// stored lists the ids of type crash in the mock on the state file.
func stored(t *testing.T, args ...string) map[string]bool {
	r := start(t, args...)
	defer r.stop(os.Interrupt)
	status, body := r.do("GET", "/1/data/crash?size=1000000", "")
	ids := map[string]bool{}
	if status == 404 {
		return ids
	}
	for _, part := range strings.Split(body, `"id":"`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids[id] = true
	}
	return ids
}

// TestSIGKILLLosesNoAcknowledgedWriteWithStateSyncAlways: 20 random kills
// under load, each restart loads, every acknowledged write is there, and
// no refused one.
func TestSIGKILLLosesNoAcknowledgedWriteWithStateSyncAlways(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	args := []string{"--state-file", file, "--state-sync", "always"}
	rng := rand.New(rand.NewPCG(7, 7))
	var all []string
	maybe := map[string]bool{}
	for round := range 20 {
		acked, refused, unanswered := crashRound(t, rng, round, args...)
		all = append(all, acked...)
		for _, id := range unanswered {
			maybe[id] = true
		}
		ids := stored(t, args...)
		for _, id := range all {
			if !ids[id] {
				t.Fatalf("round %d: acknowledged %s is lost (%d of %d stored)", round, id, len(ids), len(all))
			}
		}
		for _, id := range refused {
			if ids[id] {
				t.Fatalf("round %d: refused %s is stored", round, id)
			}
		}
		known := map[string]bool{}
		for _, id := range all {
			known[id] = true
		}
		for id := range ids {
			if !known[id] && !maybe[id] {
				t.Fatalf("round %d: %s is stored, and was never sent", round, id)
			}
		}
	}
	if len(all) < 100 {
		t.Errorf("only %d writes in 20 rounds: the load did not run", len(all))
	}
}

// TestSIGKILLWithStateSyncSecondLosesAtMostTheLastSecond: the state file
// always loads, and what is lost is only what came after the last save.
func TestSIGKILLWithStateSyncSecondLosesAtMostTheLastSecond(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	args := []string{"--state-file", file}
	rng := rand.New(rand.NewPCG(8, 8))
	var before map[string]bool
	for round := range 5 {
		crashRound(t, rng, round, args...)
		ids := stored(t, args...) // it loads: a kill never leaves a torn file
		for id := range before {
			if !ids[id] {
				t.Fatalf("round %d: %s, saved in an earlier round, is lost", round, id)
			}
		}
		before = ids
	}
}

func TestTheStateLogDropsATornRecordAndRefusesADamagedOne(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.json")
	args := []string{"--state-file", file, "--state-sync", "always"}
	r := start(t, args...)
	r.post("/1/data/t?id=a", `{"n":1}`)
	r.kill()
	segments := func() []string {
		names, err := filepath.Glob(file + ".log.*")
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if len(segments()) != 1 {
		t.Fatalf("segments after a first start: %v", segments())
	}
	log := segments()[0]
	good := readFile(t, log)
	if len(good) == 0 {
		t.Fatal("no record in the log after an acknowledged write")
	}
	// A crash in the middle of an append: half a record at the end.
	writeFile(t, log, append(append([]byte{}, good...), good[:len(good)/2]...))
	if ids := storedIDs(t, "t", args...); !ids["a"] {
		t.Fatalf("after a torn record: %v", ids)
	}
	// Damage inside: the start stops, naming the segment and its line.
	writeFile(t, file, []byte(`{}`))
	for _, s := range segments() {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
	damaged := strings.Replace(string(good), `"n":1`, `"n":2`, 1) + string(good)
	writeFile(t, file+".log.7", []byte(damaged))
	if out := fails(t, args...); !strings.Contains(out, "state.json.log.7:1:") {
		t.Errorf("a damaged log: %s", out)
	}
	if string(readFile(t, file+".log.7")) != damaged {
		t.Error("the damaged log was changed")
	}
	// A log from before segments is replayed, and an interrupted
	// compaction's leftover of it removed.
	if err := os.Remove(file + ".log.7"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, file+".log", good)
	writeFile(t, file+".log.compact-1", []byte("leftover"))
	if ids := storedIDs(t, "t", args...); !ids["a"] {
		t.Fatalf("the log from before segments was not replayed: %v", ids)
	}
	if _, err := os.Stat(file + ".log.compact-1"); err == nil {
		t.Error("an interrupted compaction's leftover is still there")
	}
	if _, err := os.Stat(file + ".log"); err == nil {
		t.Error("the log from before segments is still there after its fold")
	}
	if out := fails(t, "--state-sync", "sometimes"); !strings.Contains(out, "--state-sync") {
		t.Errorf("a bad --state-sync: %s", out)
	}
	if out := fails(t, "--state-sync", "always"); !strings.Contains(out, "--state-file") {
		t.Errorf("--state-sync always without a file: %s", out)
	}
}

func storedIDs(t *testing.T, typ string, args ...string) map[string]bool {
	r := start(t, args...)
	defer r.stop(os.Interrupt)
	_, body := r.do("GET", "/1/data/"+typ, "")
	ids := map[string]bool{}
	for _, part := range strings.Split(body, `"id":"`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids[id] = true
	}
	return ids
}
