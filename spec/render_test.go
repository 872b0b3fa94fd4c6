package spec

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"
)

// Rendered from the files on disk, each profile's document is the one served.
func TestRenderFromSourcesIsWhatYAMLServes(t *testing.T) {
	for _, p := range Profiles() {
		got, err := Render(os.DirFS("."), p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := YAML(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("profile %s: Render and YAML differ", p)
		}
	}
}

func TestRenderNamesAMissingPatch(t *testing.T) {
	_, err := Render(os.DirFS("."), "nosuch")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a missing file", err)
	}
}
