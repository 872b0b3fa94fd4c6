// Package buildinfo says which version of the kit a binary is: the one
// stamped by the release build, else what the Go build or git knows.
package buildinfo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Module is the kit's module path.
const Module = "github.com/spacedog-oss/batchkit"

// stamp is the version the release build sets, with
// -ldflags "-X github.com/spacedog-oss/batchkit/internal/buildinfo.stamp=v1.2.3"
// (make dist). It is a variable for the linker only: nothing assigns it.
var stamp string

// Version is the kit's version: the release's stamp, else the module's
// version from the build, when it was built as a dependency or from a
// tagged module, else what git describe says of the kit's source folder,
// when it is there, else devel.
func Version() string {
	bi, _ := debug.ReadBuildInfo()
	return version(stamp, bi, gitDescribe)
}

func version(stamp string, bi *debug.BuildInfo, describe func() (string, error)) string {
	if stamp != "" {
		return stamp
	}
	if bi != nil {
		for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
			if m != nil && m.Path == Module && m.Version != "" && m.Version != "(devel)" {
				return m.Version
			}
		}
	}
	if v, err := describe(); err == nil && v != "" {
		return v
	}
	return "devel"
}

// gitDescribe asks git about the folder of this file's source, as it was
// when the kit was built: never the folder the suites run in, which may
// be another project's repository.
func gitDescribe() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", os.ErrNotExist
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "describe", "--tags", "--always", "--dirty").Output()
	return strings.TrimSpace(string(out)), err
}
