// Command spec-render renders each profile's document from a folder of spec
// sources, for make spec-check.
//
// It writes each one into another folder as PROFILE.yaml:
//
//	spec-render SRC OUT
//
// The profiles are those SRC holds: doc from openapi.yaml, and one for each
// PROFILE.patch.yaml. spec/check-breaking.sh renders a past commit's sources
// and the working tree's with it, for oasdiff to compare.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "spec-render:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: spec-render SRC OUT")
	}
	src, out := os.DirFS(args[0]), args[1]
	patches, err := fs.Glob(src, "*.patch.yaml")
	if err != nil {
		return err
	}
	profiles := []string{spec.Doc}
	for _, p := range patches {
		profiles = append(profiles, strings.TrimSuffix(p, ".patch.yaml"))
	}
	docs := make([][]byte, len(profiles))
	for i, p := range profiles {
		if docs[i], err = spec.Render(src, p); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, p := range profiles {
		if err := os.WriteFile(filepath.Join(out, p+".yaml"), docs[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}
