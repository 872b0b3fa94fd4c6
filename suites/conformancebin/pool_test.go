package conformancebin

import (
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
	"github.com/spacedog-oss/batchkit/suites/internal/typepool"
	"github.com/spacedog-oss/batchkit/suites/specs"
)

var laneLine = regexp.MustCompile(`the run's types are (batchkit\d+)_\*, lane (\d+) of the pool`)

// Ten whole runs against one backend, two at a time as the jobs of a
// matrix would run, leave no more types than the pool holds: each run
// uses one lane, two runs at once never the same one, and runs one after
// another the same ones again.
func TestTenRunsLeaveNoMoreTypesThanThePoolHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it ten times")
	}
	bin := harness.Binary(t)
	mock, err := mockserver.New(mockserver.Config{Users: map[string]string{"fred": "secret", "vince": "secret2"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := serveHandler(t, mock)
	// The generative mode for a second: its types are used all the same.
	env := []string{"HOME=" + t.TempDir(), "SPACEDOG_TARGET=" + srv.URL, "SPACEDOG_USERS_ENFORCED=true", "SPACEDOG_GEN_BUDGET=1s",
		"SPACEDOG_USERNAME=fred", "SPACEDOG_PASSWORD=secret", "SPACEDOG_USERNAME2=vince", "SPACEDOG_PASSWORD2=secret2"}
	var lanes []string
	for round := range 5 {
		var wg sync.WaitGroup
		got := make([]string, 2)
		for i := range got {
			wg.Go(func() {
				out, passed := harness.Run(t, bin, t.TempDir(), env, "--ginkgo.no-color")
				m := laneLine.FindSubmatch(out)
				if !passed || m == nil {
					t.Errorf("round %d, run %d: passed %v, lane %q\n%s", round, i, passed, m, harness.Tail(out))
					return
				}
				got[i] = string(m[1])
			})
		}
		wg.Wait()
		if got[0] == got[1] {
			t.Errorf("round %d: two runs at once had the lane %s both", round, got[0])
		}
		lanes = append(lanes, got...)
	}
	slices.Sort(lanes)
	used := slices.Compact(lanes)
	// Every backend's types: the runs write in backends beside the
	// target's own too.
	types := 0
	for _, ts := range mock.State("") {
		types += len(ts)
	}
	pool := typepool.Lanes*(specs.LaneSize()) + 1
	t.Logf("ten runs used the lanes %v and left %d types; the pool holds %d", used, types, pool)
	if len(used) > 2 || types > len(used)*(specs.LaneSize())+1 || types > pool {
		t.Errorf("ten runs, two at a time, used the lanes %v and left %d types; want 2 lanes at most, and their %d types",
			used, types, len(used)*(specs.LaneSize())+1)
	}
}
