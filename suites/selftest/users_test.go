package selftest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// The README's backend command as a newcomer runs it, with no credentials,
// then with one user, then with two and --strict, in both profiles, the
// generative mode included: each run passes against the mock, and its
// verdict names each rule it could not check, or checked in part, with the
// settings it needs.
func TestAnyNumberOfUsersRunsAndSaysWhatItCouldNotCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites")
	}
	bin := harness.Binary(t)
	dir := t.TempDir()
	for _, profile := range spec.Profiles() {
		for _, c := range []struct {
			name   string
			users  []string
			strict bool
			needs  string // what the rules left unchecked ask for
		}{
			{"no credentials", []string{}, false, "--username"},
			{"one user", []string{"--username=fred", "--password=secret"}, false, "--username2"},
			{"two users, strictly", nil, true, "--users-enforced"},
		} {
			name := c.name + ", " + profile
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				v := variant{name: name, cfg: mockserver.Config{Profile: profile}, profile: profile, strict: c.strict, users: c.users,
					args: []string{"--ginkgo.label-filter=", "--gen-budget=1s"}} // every spec, the generative mode's too
				reports := filepath.Join(dir, slug(name))
				md, out, passed := run(t, bin, reports, v)
				if !passed {
					t.Fatalf("the run failed\n%s\n%s", md, harness.Tail(out))
				}
				res := readResults(t, reports, md, out)
				if res.Generative == nil || res.Generative.Outcome == summary.Fail || res.Generative.Seed == 0 {
					t.Errorf("the generative mode: %+v", res.Generative)
				}
				var named []string
				for _, u := range res.Unchecked {
					if !strings.Contains(u.Needs, "--") {
						t.Errorf("%s is not checked and its need names no setting: %q", u.Rule, u.Needs)
					}
					named = append(named, u.Needs)
				}
				if c.users != nil && !slices.ContainsFunc(named, func(n string) bool { return strings.Contains(n, c.needs) }) {
					t.Errorf("no rule left unchecked asks for %s: %v", c.needs, res.Unchecked)
				}
				t.Logf("%s: %s", name, res.PlainVerdict())
			})
		}
	}
}
