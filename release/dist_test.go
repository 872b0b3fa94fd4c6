// Package release tests what the kit ships besides its source: the
// archives of make dist, the image of make image and the GitHub Action,
// each used as a user would, from outside the repository.
package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testVersion is stamped into the binaries the tests build.
const testVersion = "v0.0.0-test"

// make dist for this machine's platform: the archive and its sum are
// there, and the binaries, unpacked into an empty folder, say their
// version, are static, and the suites pass against the mock.
func TestTheArchiveRunsUnpacked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binaries")
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	out := t.TempDir()
	makeIn(t, 10*time.Minute, "dist", "VERSION="+testVersion, "PLATFORMS="+platform, "DIST="+out)

	name := fmt.Sprintf("spacedog-batchkit_%s_%s_%s", testVersion, runtime.GOOS, runtime.GOARCH)
	archive := filepath.Join(out, name+".tar.gz")
	if runtime.GOOS == "windows" {
		t.Skip("the test unpacks tar.gz archives only")
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := hex.EncodeToString(sum[:]) + "  " + name + ".tar.gz\n"; string(sums) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", sums, want)
	}

	dir := t.TempDir()
	files := untarGz(t, bytes.NewReader(data), dir)
	want := []string{name + "/", name + "/LICENSE", name + "/README.md", name + "/spacedog-conformance", name + "/spacedog-mock"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("the archive holds %q, want %q", files, want)
	}
	bin := filepath.Join(dir, name)
	for _, b := range []string{"spacedog-mock", "spacedog-conformance"} {
		if got := versionOf(t, filepath.Join(bin, b)); got != b+" "+testVersion {
			t.Errorf("%s --version says %q, want %q", b, got, b+" "+testVersion)
		}
		if runtime.GOOS == "linux" {
			assertStatic(t, filepath.Join(bin, b))
		}
	}
	url := startMock(t, filepath.Join(bin, "spacedog-mock"), nil)
	out2, err := runConformance(t, filepath.Join(bin, "spacedog-conformance"), url)
	if err != nil {
		t.Fatalf("the suites failed against the mock: %v\n%s", err, tail(out2))
	}
}

// A project importing the kit's packages must not inherit the tools only
// the kit's CI runs: oasdiff lives in tools/ci's module.
func TestImportersInheritNoneOfTheCITools(t *testing.T) {
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		for _, banned := range []string{"github.com/oasdiff/", "github.com/spf13/viper ", "github.com/spf13/cobra ", "cloud.google.com/go "} {
			if strings.HasPrefix(line+" ", banned) {
				t.Errorf("the module's graph holds %s", line)
			}
		}
	}
}

// makeIn runs make with args in the repository's root, within limit.
func makeIn(t *testing.T, limit time.Duration, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"-s"}, args...)...)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, tail(out))
	}
	return out
}

// untarGz unpacks r into dir and returns the names it held, in order.
func untarGz(t *testing.T, r io.Reader, dir string) []string {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	return untar(t, gz, dir)
}

// untar unpacks the regular files and folders of a tar stream into dir,
// refusing names that would land outside it.
func untar(t *testing.T, r io.Reader, dir string) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			t.Fatalf("the archive's %q lands outside its folder", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, os.FileMode(h.Mode)&0o777); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func versionOf(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	return strings.TrimSpace(string(out))
}

// assertStatic fails when bin asks for a dynamic loader: FROM scratch, or
// on a distribution with another libc, it would not start.
func assertStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", filepath.Base(bin))
		}
	}
}

// startMock starts the mock binary on a free loopback port, with env
// added to a bare environment, and returns its URL; it stops at the test's
// end. A mock that has not said where it serves within 30 seconds fails
// the test rather than hanging it.
func startMock(t *testing.T, bin string, env []string) string {
	t.Helper()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0")
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if url, ok := strings.CutPrefix(lines.Text(), "spacedog-mock serving on "); ok {
				found <- url
				break
			}
		}
		close(found)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case url, ok := <-found:
		if ok {
			return url
		}
	case <-time.After(30 * time.Second):
	}
	cmd.Process.Kill()
	t.Fatalf("the mock did not say where it serves")
	return ""
}

// runConformance runs the whole suites against url, within three minutes,
// with the users the mock takes.
func runConformance(t *testing.T, bin, url string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--target="+url, "--ginkgo.no-color",
		"--username=fred", "--password=secret", "--username2=vince", "--password2=secret2")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"HOME=" + cmd.Dir}
	return cmd.CombinedOutput()
}

// tail is the end of a long output, for a failure's message.
func tail(out []byte) []byte {
	const keep = 4000
	if len(out) > keep {
		return append([]byte("...\n"), out[len(out)-keep:]...)
	}
	return out
}
