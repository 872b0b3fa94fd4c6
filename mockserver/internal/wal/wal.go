// Package wal is an append-only log of records, each written with its
// checksum and made durable with fsync before it is acknowledged. Writers
// that wait at once share one fsync (group commit). A crash in the middle
// of an append leaves a torn last record: reading the log detects it by
// its checksum or its missing end, drops it, and never loads it half. A
// record that is damaged anywhere else is corruption, reported with its
// line, and the log is left as it is.
//
// The log is a series of segment files, path.1, path.2, ...: appends go to
// the newest. Rotate starts a new segment at once, so that the older ones
// can be folded into a snapshot while writers go on, and Drop removes
// them once the snapshot is durable (as Redis rotates its AOF and SQLite
// checkpoints its WAL, without stopping writers for the whole copy).
package wal

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spacedog-oss/batchkit/mockserver/internal/atomicfile"
)

// Log is an open log. Its methods are safe for concurrent use.
type Log struct {
	path string
	dir  string
	mu   sync.Mutex
	cond *sync.Cond
	f    *os.File // the segment appended to
	seq  uint64   // its number
	size int64    // its length
	end  int64    // bytes appended since Open, in every segment: a position for Sync
	// rotated are the segments Rotate retired whose data may not be on
	// disk yet: the next fsync covers them too, then closes them.
	rotated []*os.File
	// synced is the position known to be on disk; syncing is whether a
	// writer is at its fsync now, for the others to wait on.
	synced  int64
	syncing bool
	err     error // a write or fsync that failed: the log is broken
}

// Mark stands for the segments before a Rotate: Drop removes them.
type Mark struct{ seq uint64 }

// Open reads every segment of the log at path, oldest first, and returns
// their records; appends then go to a new segment. A log written before
// segments, the file path itself, is read first. A torn last record of a
// segment is dropped (a crash may leave one in each segment it had not
// synced yet); the segments read stay as they are until Drop.
func Open(path string) (*Log, [][]byte, Mark, error) {
	segs, err := segments(path)
	if err != nil {
		return nil, nil, Mark{}, err
	}
	var records [][]byte
	var last uint64
	for _, s := range segs {
		recs, err := readFile(s.name)
		if err != nil {
			return nil, nil, Mark{}, err
		}
		records = append(records, recs...)
		last = s.seq
	}
	l := &Log{path: path, dir: filepath.Dir(path)}
	l.cond = sync.NewCond(&l.mu)
	f, err := l.create(last + 1)
	if err != nil {
		return nil, nil, Mark{}, err
	}
	l.f, l.seq = f, last+1
	return l, records, Mark{seq: l.seq}, nil
}

type segment struct {
	seq  uint64 // 0: the log written before segments
	name string
}

// segments lists the log's segment files, oldest first.
func segments(path string) ([]segment, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if e.Name() == base {
			out = append(out, segment{0, filepath.Join(dir, e.Name())})
			continue
		}
		digits, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(digits, 10, 64); err == nil && n > 0 {
			out = append(out, segment{n, filepath.Join(dir, e.Name())})
		}
	}
	slices.SortFunc(out, func(a, b segment) int { return cmp.Compare(a.seq, b.seq) })
	return out, nil
}

func (l *Log) name(seq uint64) string {
	if seq == 0 {
		return l.path
	}
	return fmt.Sprintf("%s.%d", l.path, seq)
}

// create makes segment seq, empty, and makes its name durable, so that a
// record fsynced in it is found after a crash.
func (l *Log) create(seq uint64) (*os.File, error) {
	f, err := os.OpenFile(l.name(seq), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.SyncDir(l.dir); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// readFile reads a segment's records, all but a torn last one.
func readFile(name string) ([][]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var records [][]byte
	r := bufio.NewReader(f)
	for line := 1; ; line++ {
		raw, err := r.ReadBytes('\n')
		if err == io.EOF {
			return records, nil // an end without a newline is torn: dropped
		}
		if err != nil {
			return nil, err
		}
		rec, ok := decode(raw)
		if !ok {
			if _, err := r.Peek(1); err == io.EOF {
				return records, nil // the last record, torn
			}
			return nil, fmt.Errorf("%s:%d: the record does not match its checksum: the log is damaged", name, line)
		}
		records = append(records, rec)
	}
}

// A record is written "CRC32 LENGTH RECORD\n", the checksum in hex.
func encode(rec []byte) []byte {
	b := make([]byte, 0, len(rec)+24)
	b = fmt.Appendf(b, "%08x %d ", crc32.ChecksumIEEE(rec), len(rec))
	b = append(b, rec...)
	return append(b, '\n')
}

func decode(line []byte) ([]byte, bool) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	sum, rest, ok1 := bytes.Cut(line, []byte(" "))
	size, rec, ok2 := bytes.Cut(rest, []byte(" "))
	want, err1 := strconv.ParseUint(string(sum), 16, 32)
	n, err2 := strconv.Atoi(string(size))
	if !ok1 || !ok2 || err1 != nil || err2 != nil || n != len(rec) || crc32.ChecksumIEEE(rec) != uint32(want) {
		return nil, false
	}
	return rec, true
}

// Append writes a record, not yet durable, and returns the log's position
// after it: Sync with that position makes it durable.
func (l *Log) Append(rec []byte) int64 {
	b := encode(rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.end
	}
	if _, err := l.f.Write(b); err != nil {
		l.err = fmt.Errorf("%s: %w", l.f.Name(), err)
		return l.end
	}
	l.end += int64(len(b))
	l.size += int64(len(b))
	return l.end
}

// End is the log's position: Sync(End()) makes all that was appended durable.
func (l *Log) End() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.end
}

// Size is the length of the segment appended to, what Rotate would retire.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Sync returns once the log is on disk up to pos. One writer runs fsync
// for all that was appended when it starts, in the segment appended to
// and in those rotated out since the last fsync; the others wait for it.
func (l *Log) Sync(pos int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.synced < pos && l.err == nil {
		if l.syncing {
			l.cond.Wait()
			continue
		}
		l.syncing = true
		target := l.end
		files := append(l.rotated, l.f)
		l.rotated = nil
		l.mu.Unlock()
		err := syncAll(files)
		l.mu.Lock()
		l.syncing = false
		if err != nil {
			l.err = fmt.Errorf("%s: fsync: %w", l.path, err)
		} else {
			l.synced = max(l.synced, target)
		}
		l.cond.Broadcast()
	}
	return l.err
}

// syncAll fsyncs the files, oldest first, and closes all but the last,
// the segment appended to: the rotated ones get no more data.
func syncAll(files []*os.File) error {
	var errs []error
	for i, f := range files {
		errs = append(errs, f.Sync())
		if i < len(files)-1 {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(errs...)
}

// Rotate starts a new segment, which later appends go to, and returns the
// mark of the segments before it, which a snapshot taken from now on
// holds: Drop removes them once the snapshot is durable. Appends wait only
// for a pointer to change: the new file is made before the lock is taken.
func (l *Log) Rotate() (Mark, error) {
	l.mu.Lock()
	seq, err := l.seq+1, l.err
	l.mu.Unlock()
	if err != nil {
		return Mark{}, err
	}
	// Only one Rotate at a time: the caller folds one snapshot at a time.
	f, err := l.create(seq)
	if err != nil {
		return Mark{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rotated = append(l.rotated, l.f)
	l.f, l.seq, l.size = f, seq, 0
	return Mark{seq: seq}, nil
}

// Drop removes the segments before the mark, oldest first, each removal
// made durable before the next, so that what remains after a crash is
// always the newest segments, which a replay applies in order over the
// snapshot.
func (l *Log) Drop(m Mark) error {
	segs, err := segments(l.path)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s.seq >= m.seq {
			break
		}
		if err := os.Remove(s.name); err != nil {
			return err
		}
		if err := atomicfile.SyncDir(l.dir); err != nil {
			return err
		}
	}
	return nil
}

// Close syncs what was appended and closes the log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.syncing {
		l.cond.Wait()
	}
	err := syncAll(append(l.rotated, l.f))
	l.rotated = nil
	return errors.Join(err, l.f.Close())
}

// Leftovers lists the temporary files that an interrupted compaction of
// the log at path left behind, before segments, for removal at start.
func Leftovers(path string) ([]string, error) {
	return filepath.Glob(filepath.Join(filepath.Dir(path), glob(filepath.Base(path))+".compact-*"))
}

func glob(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		if r == '*' || r == '?' || r == '[' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
