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
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var steps []string
	n, err := Write(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new content")
		return err
	}, func(s string) { steps = append(steps, s) })
	if err != nil || n != 11 {
		t.Fatalf("Write: %d %v", n, err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "new content" {
		t.Fatalf("the file after Write: %q %v", got, err)
	}
	if want := []string{"writing", "written", "renamed", "saved"}; !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	if left, err := Leftovers(path); err != nil || len(left) != 0 {
		t.Errorf("temporary files left: %v %v", left, err)
	}
}

func TestACancelledWriteLeavesTheFileAsItWas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, path, func(w io.Writer) error {
		_, err := w.Write(make([]byte, 128<<10)) // past the buffer: reaches the file
		return err
	}, nil)
	if err == nil {
		t.Error("a cancelled write returned no error")
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "old" {
		t.Errorf("the file after a cancelled write: %q %v", got, err)
	}
	if left, err := Leftovers(path); err != nil || len(left) != 0 {
		t.Errorf("temporary files left: %v %v", left, err)
	}
}

func TestLeftoversAreOnlyWritesOwnNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, name := range []string{".state.json.save-123", ".state.json.123", ".other.json.save-1", ".state.json.save-1.bak", "state.json.save-1"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	left, err := Leftovers(path)
	if err != nil || !slices.Equal(left, []string{filepath.Join(dir, ".state.json.save-123")}) {
		t.Errorf("Leftovers: %v %v", left, err)
	}
}
