package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Each job runs once, never more than workers at a time, and as many at a
// time as the workers when there are enough jobs.
func TestParallelRunsEachJobOnceWorkersAtATime(t *testing.T) {
	var mu sync.Mutex
	ran := map[int]int{}
	var now, most atomic.Int32
	err := parallel(12, 3, func(ctx context.Context, i int) error {
		n := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		ran[i]++
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if ran[i] != 1 {
			t.Errorf("job %d ran %d times", i, ran[i])
		}
	}
	if most.Load() != 3 {
		t.Errorf("%d jobs at a time at most, want 3", most.Load())
	}
}

// The first error is the result, and the jobs still running are told to
// stop: a failed build ends the release at once.
func TestParallelStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("go build: boom")
	var started atomic.Int32
	err := parallel(10, 2, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 0 {
			return boom
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("not stopped")
		}
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
	if started.Load() > 2 {
		t.Errorf("%d jobs started after the first failed", started.Load()-2)
	}
}

func TestProgressNumbersEachStep(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, total: 3}
	p.step("linux/amd64: %s built in %s", "spacedog-mock", time.Second)
	p.step("linux/amd64: archive written")
	if got := b.String(); !strings.HasPrefix(got, "dist: [1/3] linux/amd64: spacedog-mock built in 1s\ndist: [2/3] ") {
		t.Errorf("progress:\n%s", got)
	}
}
