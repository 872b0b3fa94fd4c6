package buildinfo

import (
	"errors"
	"runtime/debug"
	"testing"
)

// The release's stamp wins over what the build and git say.
func TestTheKitsVersion(t *testing.T) {
	none := func() (string, error) { return "", errors.New("not a repository") }
	described := func() (string, error) { return "v0.3.0-4-gabc1234-dirty", nil }
	main := func(v string) *debug.BuildInfo { return &debug.BuildInfo{Main: debug.Module{Path: Module, Version: v}} }
	dep := &debug.BuildInfo{Main: debug.Module{Path: "example.com/ci", Version: "(devel)"}, Deps: []*debug.Module{{Path: Module, Version: "v0.4.1"}}}
	for _, tc := range []struct {
		stamp    string
		bi       *debug.BuildInfo
		describe func() (string, error)
		want     string
	}{
		{"v0.5.0", main("(devel)"), described, "v0.5.0"},
		{"v0.5.0", main("v0.4.0"), described, "v0.5.0"},
		{"", main("v0.4.0"), described, "v0.4.0"},
		{"", dep, none, "v0.4.1"},
		{"", main("(devel)"), described, "v0.3.0-4-gabc1234-dirty"},
		{"", main(""), none, "devel"},
		{"", nil, none, "devel"},
	} {
		if got := version(tc.stamp, tc.bi, tc.describe); got != tc.want {
			t.Errorf("%q %+v: %q, want %q", tc.stamp, tc.bi, got, tc.want)
		}
	}
}
