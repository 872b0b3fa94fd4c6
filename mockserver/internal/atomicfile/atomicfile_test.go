package atomicfile

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteReplacesTheFileWholeAndTellsEachStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(path, []byte("old"), 0o644)
	var steps []string
	n, err := Write(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new content")
		return err
	}, func(s string) { steps = append(steps, s) })
	got, _ := os.ReadFile(path)
	if err != nil || n != 11 || string(got) != "new content" {
		t.Fatalf("Write: %d %v, file %q", n, err, got)
	}
	if want := []string{"writing", "written", "renamed", "saved"}; !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	if left, _ := Leftovers(path); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestACancelledWriteLeavesTheFileAsItWas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(path, []byte("old"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, path, func(w io.Writer) error {
		_, err := w.Write(make([]byte, 128<<10)) // past the buffer: reaches the file
		return err
	}, nil)
	got, _ := os.ReadFile(path)
	if err == nil || string(got) != "old" {
		t.Errorf("a cancelled write: %v, file %q", err, got)
	}
	if left, _ := Leftovers(path); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLeftoversAreOnlyWritesOwnNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, name := range []string{".state.json.save-123", ".state.json.123", ".other.json.save-1", ".state.json.save-1.bak", "state.json.save-1"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}
	left, err := Leftovers(path)
	if err != nil || !slices.Equal(left, []string{filepath.Join(dir, ".state.json.save-123")}) {
		t.Errorf("Leftovers: %v %v", left, err)
	}
}
