package main

import (
	"fmt"
	"os"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/mockserver/internal/wal"
)

// The --state-sync modes, as Redis names its appendfsync choices.
const (
	syncSecond = "second" // the state file is saved at most once a second: a crash loses up to a second
	syncAlways = "always" // every write is in the log, fsynced, before its reply leaves
)

// compactAt is the log's length past which it is folded into the state file.
const compactAt = 4 << 20

// durable is the state file and, with --state-sync always, its log of
// changes since it was saved.
type durable struct {
	file  string
	log   *wal.Log // nil: --state-sync second
	saved uint64   // the mock's Changes at the last save
}

// openDurable loads what the state file and its log hold, and from then
// on has every change logged, with --state-sync always.
func openDurable(mock *mockserver.Server, o options) (*durable, error) {
	d := &durable{file: o.stateFile, saved: mock.Changes()}
	if o.stateSync != syncAlways {
		return d, nil
	}
	logFile := o.stateFile + ".log"
	leftovers, _ := wal.Leftovers(logFile)
	for _, f := range leftovers {
		os.Remove(f) // an interrupted compaction's: the log itself is whole
	}
	log, records, err := wal.Open(logFile)
	if err != nil {
		return nil, err
	}
	if err := mock.Replay(records); err != nil {
		log.Close()
		return nil, fmt.Errorf("%s: %w", logFile, err)
	}
	mock.LogTo(log)
	d.log = log
	return d, d.compact(mock) // what was replayed, folded into the state file
}

// tick saves the state file when the data changed (--state-sync second),
// or folds the log into it once the log has grown (always).
func (d *durable) tick(mock *mockserver.Server) error {
	if d.log != nil && d.log.End() < compactAt {
		return nil
	}
	return d.compact(mock)
}

// compact saves the state file when the data changed, then drops the log
// records it now holds. Records appended meanwhile stay: a replay applies
// them again over the saved state, which they leave as it is.
func (d *durable) compact(mock *mockserver.Server) error {
	now := mock.Changes()
	if now == d.saved {
		return nil
	}
	var pos int64
	if d.log != nil {
		pos = d.log.End() // before the state is read: all before it is in the state
	}
	if err := mock.SaveStateFile(d.file); err != nil {
		return err
	}
	d.saved = now
	if d.log != nil {
		return d.log.Compact(pos)
	}
	return nil
}

// close saves what is left and closes the log.
func (d *durable) close(mock *mockserver.Server) error {
	err := d.compact(mock)
	if d.log != nil {
		if cerr := d.log.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
