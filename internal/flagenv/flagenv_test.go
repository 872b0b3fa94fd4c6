package flagenv

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a := fs.String("max-batch", "10", "")
	b := fs.String("target", "", "")
	c := fs.String("profile", "doc", "")
	if err := fs.Parse([]string{"--target=flag"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"X_MAX_BATCH": "20", "X_TARGET": "env", "X_PROFILE": ""}
	if err := Apply(fs, "X_", func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if *a != "20" || *b != "flag" || *c != "doc" {
		t.Errorf("max-batch %q target %q profile %q: want the variable, the flag, the default", *a, *b, *c)
	}
}

func TestApplyNamesTheBadVariable(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Int("max-batch", 10, "")
	err := Apply(fs, "X_", func(k string) string { return "ten" })
	if err == nil || !strings.Contains(err.Error(), `X_MAX_BATCH="ten"`) {
		t.Errorf("error %v", err)
	}
}

// X_VERSION=1.2 is some other thing's version: it neither fails nor sets
// --version.
func TestApplyLeavesVersionAlone(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	v := fs.Bool("version", false, "")
	for _, value := range []string{"1.2", "true"} {
		if err := Apply(fs, "X_", func(k string) string { return value }); err != nil || *v {
			t.Errorf("X_VERSION=%s: error %v, --version %v", value, err, *v)
		}
	}
}
