package main

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"
)

// make spec-check, run in a git repository holding a copy of the module:
// a break of either profile's document fails it, a compatible change passes.
func TestSpecCheckGatesBreakingChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds spec-render and runs oasdiff")
	}
	for _, tc := range []struct {
		name  string
		file  string // under spec/
		edit  func(t *testing.T, doc map[string]any)
		fails bool
		says  []string // in the output
	}{
		{
			name: "a required field removed from a reply",
			file: "openapi.yaml",
			edit: func(t *testing.T, doc map[string]any) {
				listing := at(t, doc, "components", "schemas", "Listing")
				delete(at(t, listing, "properties"), "total")
				listing["required"] = []any{"results"}
			},
			fails: true,
			says:  []string{"the doc profile", "[response-required-property-removed]", "removed the required property `total`"},
		},
		{
			name: "a required field removed from the 2016 reply only",
			file: "spacedog-2016.patch.yaml",
			edit: func(t *testing.T, patch map[string]any) {
				listing := at(t, patch, "components", "schemas", "Listing")
				delete(at(t, listing, "properties"), "took")
				delete(listing, "required")
			},
			fails: true,
			says:  []string{"the doc profile, HEAD against the working tree\nNo changes detected", "the spacedog-2016 profile", "removed the required property `took`"},
		},
		{
			name: "an optional field added to a sub-request",
			file: "openapi.yaml",
			edit: func(t *testing.T, doc map[string]any) {
				props := at(t, doc, "components", "schemas", "SubRequest", "properties")
				props["note"] = map[string]any{"type": "string", "description": "a note for people"}
			},
			says: []string{"the doc profile", "the spacedog-2016 profile"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := moduleRepo(t)
			editYAML(t, filepath.Join(repo, "spec", tc.file), tc.edit)
			out, err := specCheck(t, repo)
			if failed := err != nil; failed != tc.fails {
				t.Fatalf("make spec-check failed: %v (%v), want failed: %v\n%s", failed, err, tc.fails, out)
			}
			for _, s := range tc.says {
				if !strings.Contains(out, s) {
					t.Errorf("the output does not say %q:\n%s", s, out)
				}
			}
			if !tc.fails && strings.Contains(out, "error\t") {
				t.Errorf("a compatible change reported as an error:\n%s", out)
			}
		})
	}
}

// A break listed in the err-ignore file of .oasdiff.yaml is accepted: the
// way a fork ships a deliberate break (README).
func TestSpecCheckAcceptsABreakTheRepositoryIgnores(t *testing.T) {
	if testing.Short() {
		t.Skip("builds spec-render and runs oasdiff")
	}
	repo := moduleRepo(t)
	editYAML(t, filepath.Join(repo, "spec", "openapi.yaml"), func(t *testing.T, doc map[string]any) {
		at(t, doc, "components", "schemas", "Listing")["required"] = []any{"results"}
	})
	write(t, filepath.Join(repo, ".oasdiff.yaml"), "err-ignore: spec/accepted-breaks.md\n")
	write(t, filepath.Join(repo, "spec", "accepted-breaks.md"), ""+
		"- GET /1/data the response property `total` became optional for the status `200`\n"+
		"- GET /1/data/{type} the response property `total` became optional for the status `200`\n"+
		"- POST /1/batch the response property `items/anyOf[#/components/schemas/Listing]/total` became optional for the status `200`\n")
	if out, err := specCheck(t, repo); err != nil {
		t.Fatalf("make spec-check fails on an accepted break: %v\n%s", err, out)
	}
}

// moduleRepo returns a git repository holding a copy of the module, its
// working tree committed.
func moduleRepo(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && (rel == ".git" || rel == "bin" || rel == "reports"):
			return filepath.SkipDir
		case rel == ".git":
			// A worktree's .git is a file naming the repository's git
			// directory: copied, git would commit there, not in the copy.
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(repo, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(repo, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "commit", "-qm", "base"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return repo
}

func specCheck(t *testing.T, repo string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "spec-check")
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// editYAML rewrites a YAML file after edit changes its decoded form.
func editYAML(t *testing.T, path string, edit func(*testing.T, map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(t, doc)
	if data, err = yaml.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	write(t, path, string(data))
}

// at walks down mappings by key.
func at(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for i, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no mapping at %s", strings.Join(keys[:i+1], "."))
		}
		m = next
	}
	return m
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
