package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/buildinfo"
)

// --version prints the version and returns at once, whatever the other
// flags and variables say: it never serves.
func TestVersionPrintsAndReturns(t *testing.T) {
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "SPACEDOG_MOCK_MAX_BATCH" {
			return "not a number"
		}
		return ""
	}
	err := run(t.Context(), []string{"--max-batch=0", "--version"}, getenv, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if want := "spacedog-mock " + buildinfo.Version() + "\n"; stdout.String() != want {
		t.Errorf("printed %q, want %q", stdout.String(), want)
	}
	if strings.Contains(stderr.String(), "serving") {
		t.Errorf("it served:\n%s", stderr.String())
	}
}
