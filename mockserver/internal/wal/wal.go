// Package wal is an append-only log of records, each written with its
// checksum and made durable with fsync before it is acknowledged. Writers
// that wait at once share one fsync (group commit). A crash in the middle
// of an append leaves a torn last record: reading the log detects it by
// its checksum or its missing end, drops it, and never loads it half. A
// record that is damaged anywhere else is corruption, reported with its
// line, and the log is left as it is.
package wal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Log is an open log. Its methods are safe for concurrent use.
type Log struct {
	path string
	mu   sync.Mutex
	cond *sync.Cond
	f    *os.File
	end  int64 // bytes appended
	// synced is the length known to be on disk; syncing is whether a
	// writer is at its fsync now, for the others to wait on.
	synced  int64
	syncing bool
	err     error // a write or fsync that failed: the log is broken
}

// Open opens the log at path, creating it, and returns the records it
// holds, oldest first. A torn last record is dropped and cut off the file.
func Open(path string) (*Log, [][]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	records, good, err := read(path, f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := f.Truncate(good); err != nil { // the torn record, if any
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	l := &Log{path: path, f: f, end: good, synced: good}
	l.cond = sync.NewCond(&l.mu)
	return l, records, nil
}

// read reads every record; good is the length of the valid ones.
func read(path string, f *os.File) (records [][]byte, good int64, err error) {
	r := bufio.NewReader(f)
	for line := 1; ; line++ {
		raw, err := r.ReadBytes('\n')
		if err == io.EOF {
			return records, good, nil // an end without a newline is torn: dropped
		}
		if err != nil {
			return nil, 0, err
		}
		rec, ok := decode(raw)
		if !ok {
			if _, err := r.Peek(1); err == io.EOF {
				return records, good, nil // the last record, torn
			}
			return nil, 0, fmt.Errorf("%s:%d: the record does not match its checksum: the log is damaged", path, line)
		}
		records = append(records, rec)
		good += int64(len(raw))
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

// Append writes a record, not yet durable, and returns the log's length
// with it: Sync with that length makes it durable.
func (l *Log) Append(rec []byte) int64 {
	b := encode(rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.end
	}
	if _, err := l.f.Write(b); err != nil {
		l.err = fmt.Errorf("%s: %w", l.path, err)
		return l.end
	}
	l.end += int64(len(b))
	return l.end
}

// End is the log's length: Sync(End()) makes all that was appended durable.
func (l *Log) End() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.end
}

// Sync returns once the log is on disk up to pos. One writer runs fsync
// for all that was appended when it starts; the others wait for it.
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
		l.mu.Unlock()
		err := l.f.Sync()
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

// Compact drops the records before pos, which a snapshot now holds: the
// records after it are copied to a new file that replaces the log.
// Appends wait meanwhile.
func (l *Log) Compact(pos int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	tail := make([]byte, l.end-pos)
	if _, err := l.f.ReadAt(tail, pos); err != nil && err != io.EOF {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), filepath.Base(l.path)+".compact-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone already once renamed
	if _, err := tmp.Write(tail); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		tmp.Close()
		return err
	}
	if d, err := os.Open(filepath.Dir(l.path)); err == nil {
		d.Sync() // the rename itself, durable
		d.Close()
	}
	l.f.Close()
	l.f = tmp
	if _, err := l.f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	l.end, l.synced = int64(len(tail)), int64(len(tail))
	return nil
}

// Close closes the log; what was appended and not synced may be lost.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.f.Sync(), l.f.Close())
}

// Leftovers lists the temporary files an interrupted Compact of the log
// at path left behind, for removal at start.
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
