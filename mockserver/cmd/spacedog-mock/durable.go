package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/mockserver/internal/atomicfile"
	"github.com/spacedog-oss/batchkit/mockserver/internal/wal"
)

// The --state-sync modes, as Redis names its appendfsync choices.
const (
	syncSecond = "second" // the state file is saved at most once a second: a crash loses up to a second
	syncAlways = "always" // every write is in the log, fsynced, before its reply leaves
)

// compactAt is the least length of the log's newest segment past which it
// is folded into the state file. Past it, the segment must also have grown
// as long as the state file was at the last fold (Redis's
// auto-aof-rewrite-percentage 100): a fold rewrites the whole data set,
// and so each byte logged pays for at most one byte of state file, however
// large the data set.
const compactAt = 4 << 20

// durable is the state file and, with --state-sync always, its log of
// changes since it was saved. Saves and folds run in a goroutine of their
// own, one at a time, while the mock serves: writers never wait for one.
type durable struct {
	file      string
	log       *wal.Log // nil: --state-sync second
	saved     uint64   // the mock's Changes when the last saved snapshot was taken
	threshold int64    // the newest segment's length past which it is folded

	cancel context.CancelFunc // the fold under way's; nil: none
	done   chan foldResult
	// step, when set (by tests), is called at each step of a fold: a crash
	// there must leave the files in a state that loads, with every
	// acknowledged write.
	step func(string)
}

type foldResult struct {
	changes uint64 // the mock's Changes before the snapshot
	size    int64  // the state file's length
	err     error
}

// openDurable loads what the log holds over the state file, which load
// read, and from then on has every change logged, with --state-sync always.
func openDurable(mock *mockserver.Server, o options) (*durable, error) {
	d := &durable{file: o.stateFile, saved: mock.Changes(), threshold: compactAt, done: make(chan foldResult, 1)}
	if fi, err := os.Stat(o.stateFile); err == nil {
		d.threshold = max(compactAt, fi.Size())
	}
	if o.stateSync != syncAlways {
		return d, nil
	}
	logFile := o.stateFile + ".log"
	leftovers, _ := wal.Leftovers(logFile)
	for _, f := range leftovers {
		os.Remove(f) // an interrupted compaction's, from before segments: the log itself is whole
	}
	log, records, mark, err := wal.Open(logFile)
	if err != nil {
		return nil, err
	}
	if err := mock.Replay(records); err != nil {
		log.Close()
		return nil, fmt.Errorf("%s: %w", logFile, err)
	}
	mock.LogTo(log)
	d.log = log
	// What was replayed, folded into the state file before serving; the
	// segments read are then dropped.
	if len(records) > 0 {
		now := mock.Changes()
		size, err := d.save(context.Background(), mock)
		if err != nil {
			log.Close()
			return nil, err
		}
		d.saved, d.threshold = now, max(compactAt, size)
	}
	if err := log.Drop(mark); err != nil {
		log.Close()
		return nil, err
	}
	return d, nil
}

// tick starts a save of the state file when the data changed (--state-sync
// second), or a fold of the log into it once its newest segment has grown
// (always), unless one is under way.
func (d *durable) tick(mock *mockserver.Server) {
	if d.cancel != nil {
		return
	}
	if d.log != nil && d.log.Size() < d.threshold {
		return
	}
	if d.log == nil && mock.Changes() == d.saved {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() { d.done <- d.fold(ctx, mock) }()
}

// folded is where the result of the fold that tick started arrives.
func (d *durable) folded() <-chan foldResult { return d.done }

// finish records the result of a fold that tick started.
func (d *durable) finish(r foldResult) error {
	d.cancel()
	d.cancel = nil
	if r.err != nil {
		return r.err
	}
	d.saved, d.threshold = r.changes, max(compactAt, r.size)
	return nil
}

// fold saves a snapshot of the data in the state file and, with a log,
// drops the segments it holds. The segment appended to is retired first:
// every record in the retired ones is of a change the snapshot, taken
// after, holds. Records of changes made meanwhile go to the new segment,
// and the snapshot may hold some of them too: a replay applies them again
// over the saved state, which they leave as it is.
func (d *durable) fold(ctx context.Context, mock *mockserver.Server) foldResult {
	r := foldResult{changes: mock.Changes()}
	var mark wal.Mark
	if d.log != nil {
		if mark, r.err = d.log.Rotate(); r.err != nil {
			return r
		}
		d.at("rotated")
	}
	if r.size, r.err = d.save(ctx, mock); r.err != nil {
		return r
	}
	if d.log != nil {
		r.err = d.log.Drop(mark)
		d.at("dropped")
	}
	return r
}

func (d *durable) at(step string) {
	if d.step != nil {
		d.step(step)
	}
}

// save writes the data to a temporary file beside the state file, fsynced
// as it grows, then renames it over the state file and makes the rename
// durable: a crash leaves the old state file or the new, whole. It stops
// when ctx is done, and leaves the state file as it was.
func (d *durable) save(ctx context.Context, mock *mockserver.Server) (int64, error) {
	return atomicfile.Write(ctx, d.file, mock.WriteState, d.at)
}

// close stops a fold under way, saves what the state file does not hold
// yet, and closes the log. Every acknowledged write is in the log already:
// the save at the end is so that the state file alone holds the data.
func (d *durable) close(mock *mockserver.Server) error {
	if d.cancel != nil {
		d.cancel()
		d.finish(<-d.done) // cancelled: an error, or done just before
	}
	var err error
	if mock.Changes() != d.saved {
		err = d.fold(context.Background(), mock).err
	}
	if d.log != nil {
		err = errors.Join(err, d.log.Close())
	}
	return err
}
