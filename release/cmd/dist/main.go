// Command dist builds the kit's release archives and their SHA256SUMS
// (make dist VERSION=v1.2.3).
//
// Each archive holds spacedog-mock and spacedog-conformance, static and
// stamped with the version, for one platform, with the README and the
// license.
//
//	go run ./release/cmd/dist -version v1.2.3 -out dist linux/amd64 darwin/arm64 ...
//
// Run it from the repository's root. Archives are tar.gz, zip for Windows,
// each holding one folder named like the archive, so that unpacking one
// never scatters a README over the current folder.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Name starts every archive's name.
const Name = "spacedog-batchkit"

// stampVar is the variable -ldflags -X sets to the version.
const stampVar = "github.com/spacedog-oss/batchkit/internal/buildinfo.stamp"

// binaries are the release's commands: name, and how to build it.
var binaries = []struct {
	name string
	args func(out, ldflags string) []string
}{
	{"spacedog-mock", func(out, ldflags string) []string {
		return []string{"build", "-trimpath", "-ldflags", ldflags, "-o", out, "./mockserver/cmd/spacedog-mock"}
	}},
	// The suites are a Ginkgo test binary: go test -c, as make conformance-bin.
	{"spacedog-conformance", func(out, ldflags string) []string {
		return []string{"test", "-c", "-trimpath", "-ldflags", ldflags, "-o", out, "./suites"}
	}},
}

// extras are copied into every archive: the archive's README and the license.
var extras = map[string]string{"README.md": "release/README.md", "LICENSE": "LICENSE"}

// Platforms the release knows; Go itself knows more, but these are tested.
var known = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

var versionPattern = regexp.MustCompile(`^v?[0-9A-Za-z][0-9A-Za-z.+_-]*$`)

func main() {
	version := flag.String("version", "", "the release's `version`, like v1.2.3: printed by --version, part of the archives' names")
	out := flag.String("out", "dist", "`folder` for the archives and SHA256SUMS")
	stage := flag.String("stage", "", "put one platform's files in this `folder`, unarchived, instead (make image)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: dist -version V [-out DIR] [OS/ARCH ...]\n\nPlatforms (default: all): %s\n\n", strings.Join(known, " "))
		flag.PrintDefaults()
	}
	flag.Parse()
	var err error
	if *stage != "" {
		err = stageOne(*version, *stage, flag.Args())
	} else {
		err = run(*version, *out, flag.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

// check refuses a version that cannot name a file and platforms the
// release does not know; no platform means them all.
func check(version string, platforms []string) ([]string, error) {
	if !versionPattern.MatchString(version) {
		return nil, fmt.Errorf("-version %q: want a version like v1.2.3 (letters, digits, . + _ -)", version)
	}
	if len(platforms) == 0 {
		platforms = known
	}
	for _, p := range platforms {
		if !slices.Contains(known, p) {
			return nil, fmt.Errorf("platform %q is not one of %s", p, strings.Join(known, " "))
		}
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return nil, errors.New("run it from the repository's root (no go.mod here)")
	}
	return platforms, nil
}

// stageOne builds one platform's files into dir, as an archive would
// hold them: the context of the container image.
func stageOne(version, dir string, platforms []string) error {
	platforms, err := check(version, platforms)
	if err != nil {
		return err
	}
	if len(platforms) != 1 {
		return fmt.Errorf("-stage takes one platform, not %d", len(platforms))
	}
	goos, goarch, _ := strings.Cut(platforms[0], "/")
	return build(dir, goos, goarch, version)
}

func run(version, out string, platforms []string) error {
	platforms, err := check(version, platforms)
	if err != nil {
		return err
	}
	mtime, err := sourceTime()
	if err != nil {
		return err
	}
	if err := clean(out); err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "spacedog-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	// Platforms side by side, as many as the machine has cores; within
	// one, the two builds one after the other, the second reusing the
	// standard library the first compiled for that platform.
	workers := min(runtime.NumCPU(), len(platforms))
	prog := &progress{w: os.Stderr, total: len(platforms) * (len(binaries) + 1), start: time.Now()}
	prog.say("building %d platforms, %d at a time, into %s", len(platforms), workers, out)
	archives := make([]string, len(platforms))
	err = parallel(len(platforms), workers, func(ctx context.Context, i int) error {
		goos, goarch, _ := strings.Cut(platforms[i], "/")
		base := fmt.Sprintf("%s_%s_%s_%s", Name, version, goos, goarch)
		dir := filepath.Join(stage, base)
		if err := buildAll(ctx, dir, goos, goarch, version, prog); err != nil {
			return fmt.Errorf("%s: %w", platforms[i], err)
		}
		archive := filepath.Join(out, base+".tar.gz")
		write := writeTarGz
		if goos == "windows" {
			archive, write = filepath.Join(out, base+".zip"), writeZip
		}
		began := time.Now()
		if err := write(archive, dir, mtime); err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		prog.step("%s: %s written in %s", platforms[i], filepath.Base(archive), since(began))
		archives[i] = archive
		return nil
	})
	if err != nil {
		return err
	}
	sums := filepath.Join(out, "SHA256SUMS")
	if err := writeSums(sums, archives); err != nil {
		return err
	}
	for _, a := range append(archives, sums) {
		fmt.Println(a)
	}
	prog.say("done in %s", since(prog.start))
	return nil
}

// parallel runs do(0) ... do(n-1), workers at a time; the first error
// cancels the others' context and is returned.
func parallel(n, workers int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() == nil {
					if err := do(ctx, i); err != nil {
						cancel(err)
					}
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// progress says each step as it ends, numbered, with the time it took.
type progress struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
	done  int
	total int
}

func (p *progress) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "dist: "+format+"\n", args...)
}

func (p *progress) step(format string, args ...any) {
	p.mu.Lock()
	p.done++
	n := p.done
	p.mu.Unlock()
	p.say("[%d/%d] "+format, append([]any{n, p.total}, args...)...)
}

// since is the time since t, to the tenth of a second.
func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// clean makes out an empty place for this release's files: it removes the
// archives and sums of an earlier one, and nothing else.
func clean(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(out, Name+"_*"))
	if err != nil {
		return err
	}
	for _, f := range append(old, filepath.Join(out, "SHA256SUMS")) {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// build puts the binaries for one platform and the extras into dir.
func build(dir, goos, goarch, version string) error {
	return buildAll(context.Background(), dir, goos, goarch, version, nil)
}

// buildAll is build, stopped with ctx, telling prog of each binary built.
func buildAll(ctx context.Context, dir, goos, goarch, version string, prog *progress) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	exe := ""
	if goos == "windows" {
		exe = ".exe"
	}
	// -s -w: no symbol table or DWARF, a third smaller; panics still
	// print their stacks.
	ldflags := "-s -w -X " + stampVar + "=" + version
	for _, b := range binaries {
		began := time.Now()
		cmd := exec.CommandContext(ctx, "go", b.args(filepath.Join(dir, b.name+exe), ldflags)...)
		// CGO off: static binaries, which run on any libc and FROM scratch.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
		}
		if prog != nil {
			prog.step("%s/%s: %s built in %s", goos, goarch, b.name, since(began))
		}
	}
	for name, src := range extras {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sourceTime is the time every archived file gets, so that two builds of
// one commit make the same archives: SOURCE_DATE_EPOCH when set, else the
// commit's time, else now.
func sourceTime() (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %v", s, err)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if out, err := exec.Command("git", "log", "-1", "--format=%ct").Output(); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
	}
	return time.Now().UTC().Truncate(time.Second), nil
}

// entry is one file of an archive, under the archive's folder.
type entry struct {
	name string // slash-separated, starting with the folder
	mode int64
	data []byte
}

// entries reads dir's files, sorted, as the archive holds them.
func entries(dir string) ([]entry, error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var es []entry
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			return nil, err
		}
		info, err := f.Info()
		if err != nil {
			return nil, err
		}
		mode := int64(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		es = append(es, entry{name: filepath.Base(dir) + "/" + f.Name(), mode: mode, data: data})
	}
	return es, nil // ReadDir sorts by name
}

func writeTarGz(path, dir string, mtime time.Time) (err error) {
	es, err := entries(dir)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	folder := &tar.Header{Typeflag: tar.TypeDir, Name: filepath.Base(dir) + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(folder); err != nil {
		return err
	}
	for _, e := range es {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: e.mode, Size: int64(len(e.data)), ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(path, dir string, mtime time.Time) (err error) {
	es, err := entries(dir)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, e := range es {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(e.mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeSums writes the archives' SHA-256 sums in the format of sha256sum,
// which checks them with: sha256sum -c SHA256SUMS
func writeSums(path string, archives []string) error {
	var b strings.Builder
	slices.Sort(archives)
	for _, a := range archives {
		f, err := os.Open(a)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), filepath.Base(a))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
