// Package atomicfile replaces a file whole or not at all, durably: the new
// content goes to a temporary file beside it, fsynced, which is renamed
// over it, and the rename is made durable by an fsync of the folder. A
// crash at any point leaves the old file or the new one, and at worst a
// temporary file that Leftovers finds.
package atomicfile

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// infix names a temporary file: the path's base name after a dot, then
// this and os.CreateTemp's random digits.
const infix = ".save-"

// SyncEvery is how much is written between two fsyncs of the temporary
// file (Redis's aof-rewrite-incremental-fsync): one fsync of a large file
// at the end would flush it all at once, and other files' fsyncs, which
// share the file system's journal with it, would wait behind that flush.
const SyncEvery = 4 << 20

// Write replaces the file at path by what write writes, and returns its
// length. It stops when ctx is done and leaves the file as it was. step,
// when not nil, is told each step as it is reached, for tests that stop a
// save there: "writing" (before the first byte), "written" (the temporary
// file is whole and synced), "renamed", "saved" (the rename is durable).
func Write(ctx context.Context, path string, write func(io.Writer) error, step func(string)) (int64, error) {
	if step == nil {
		step = func(string) {}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+infix+"*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	sw := &syncingWriter{ctx: ctx, f: tmp, first: func() { step("writing") }}
	bw := bufio.NewWriterSize(sw, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	step("written")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	step("renamed")
	if err := SyncDir(dir); err != nil {
		return 0, err
	}
	step("saved")
	return sw.n, nil
}

// SyncDir makes the creations, renames and removals in dir durable.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// Leftovers lists the temporary files that writes of path left behind when
// they were interrupted (a SIGKILL skips their cleanup), for removal at
// start: only the names Write gives.
func Leftovers(path string) ([]string, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), "."+base+infix)
		if ok && e.Type().IsRegular() && digits != "" && strings.Trim(digits, "0123456789") == "" {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// syncingWriter writes to a file and fsyncs it every SyncEvery bytes; it
// fails once ctx is done.
type syncingWriter struct {
	ctx      context.Context
	f        *os.File
	n, since int64
	first    func() // called before the first write
}

func (w *syncingWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.n == 0 {
		w.first()
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	w.since += int64(n)
	if err == nil && w.since >= SyncEvery {
		w.since = 0
		err = w.f.Sync()
	}
	return n, err
}
