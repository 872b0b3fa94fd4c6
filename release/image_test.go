package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/testtool"
)

// make image with podman or docker: the image's config runs the mock as a
// non-root user on port 8080, and its filesystem, exported, holds both
// binaries, which run from it against each other. The sandbox refuses
// podman run, so the test runs the exported binaries itself.
func TestTheImageHoldsBothBinariesAndANonRootUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the container image")
	}
	tmp := t.TempDir()
	tool := containerTool(t)
	image := fmt.Sprintf("localhost/spacedog-batchkit-test:%d", os.Getpid())
	makeIn(t, 10*time.Minute, "image", "VERSION="+testVersion, "CONTAINER="+strings.Join(tool, " "),
		"IMAGE="+image, "IMAGE_STAGE="+filepath.Join(tmp, "stage"))
	t.Cleanup(func() { exec.Command(tool[0], append(tool[1:], "rmi", "-f", image)...).Run() })

	saved := filepath.Join(tmp, "image.tar")
	if out, err := exec.Command(tool[0], append(tool[1:], "save", "-o", saved, image)...).CombinedOutput(); err != nil {
		t.Fatalf("save: %v\n%s", err, out)
	}
	rootfs := filepath.Join(tmp, "rootfs")
	cfg := export(t, saved, rootfs)

	if cfg.User == "" || cfg.User == "0" || strings.HasPrefix(cfg.User, "0:") || strings.HasPrefix(cfg.User, "root") {
		t.Errorf("the image runs as %q, want a non-root user", cfg.User)
	}
	uid, _, _ := strings.Cut(cfg.User, ":")
	passwd, err := os.ReadFile(filepath.Join(rootfs, "etc", "passwd"))
	if err != nil || !bytes.Contains(passwd, []byte(":x:"+uid+":")) {
		t.Errorf("/etc/passwd does not name the user %s (%v):\n%s", uid, err, passwd)
	}
	if want := []string{"/usr/local/bin/spacedog-mock"}; !slices.Equal(cfg.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", cfg.Entrypoint, want)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", cfg.ExposedPorts)
	}
	if !slices.Contains(cfg.Env, "SPACEDOG_MOCK_ADDR=0.0.0.0:8080") {
		t.Errorf("the environment %q does not make the mock listen on 0.0.0.0:8080", cfg.Env)
	}

	bin := filepath.Join(rootfs, "usr", "local", "bin")
	for _, b := range []string{"spacedog-mock", "spacedog-conformance"} {
		if got := versionOf(t, filepath.Join(bin, b)); got != b+" "+testVersion {
			t.Errorf("%s --version says %q", b, got)
		}
		assertStatic(t, filepath.Join(bin, b))
	}
	// The image's environment, but on loopback: --addr wins over it.
	url := startMock(t, filepath.Join(bin, "spacedog-mock"), cfg.Env)
	if out, err := runConformance(t, filepath.Join(bin, "spacedog-conformance"), url); err != nil {
		t.Fatalf("the image's suites failed against the image's mock: %v\n%s", err, tail(out))
	}
}

// containerTool is the command that builds images here: podman, in
// storage of its own so that the test leaves nothing behind,
// else docker when its daemon answers; the test skips without either.
func containerTool(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("podman"); err == nil {
		// podman wants a runroot of 50 characters at most: t.TempDir's are longer.
		short, err := os.MkdirTemp("", "sdpod")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(short) })
		tool := []string{"podman", "--root=" + filepath.Join(short, "s"), "--runroot=" + filepath.Join(short, "r")}
		out, err := exec.Command(tool[0], append(tool[1:], "info")...).CombinedOutput()
		if err == nil {
			return tool
		}
		t.Logf("podman info: %v\n%s", err, tail(out))
	}
	if _, err := exec.LookPath("docker"); err == nil {
		if err := exec.Command("docker", "info").Run(); err == nil {
			return []string{"docker"}
		}
	}
	testtool.Missing(t, "neither podman nor docker can build images here (.ci/run installs podman)")
	return nil
}

// imageConfig is the part of an image's config the test checks.
type imageConfig struct {
	User         string
	Entrypoint   []string
	Cmd          []string
	Env          []string
	ExposedPorts map[string]struct{}
}

// export unpacks the layers of an image saved by podman or docker save
// (a docker-archive: manifest.json naming the config and the layers) into
// rootfs, and returns its config.
func export(t *testing.T, saved, rootfs string) imageConfig {
	t.Helper()
	files := map[string][]byte{}
	f, err := os.Open(saved)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	readTar(t, f, func(name string, data []byte) { files[name] = data })
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v, %d images", err, len(manifest))
	}
	var config struct{ Config imageConfig }
	if err := json.Unmarshal(files[manifest[0].Config], &config); err != nil {
		t.Fatalf("the image's config %s: %v", manifest[0].Config, err)
	}
	for _, layer := range manifest[0].Layers {
		data, ok := files[layer]
		if !ok {
			t.Fatalf("the layer %s is not in the saved image", layer)
		}
		var r io.Reader = bytes.NewReader(data)
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			gz, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = gz
		}
		untar(t, r, rootfs)
	}
	return config.Config
}

// readTar calls each for every regular file of a tar stream, following
// the symbolic links docker-archives make from layer folders to blobs.
func readTar(t *testing.T, r io.Reader, each func(name string, data []byte)) {
	t.Helper()
	links := map[string]string{}
	all := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeSymlink:
			links[h.Name] = path.Join(path.Dir(h.Name), h.Linkname)
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			all[h.Name] = data
		}
	}
	for name, target := range links {
		all[name] = all[target]
	}
	for name, data := range all {
		each(name, data)
	}
}
