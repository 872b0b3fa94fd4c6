package specs

import (
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/config"
)

// With the defaults, a target that accepts connections and never answers
// costs a run at most maxNoReply request timeouts per process before the
// specs left are reported not run (suites/selftest proves the count, by
// the requests such a target gets): that must stay within what CI waits
// for a verdict, 5 minutes, with room for the specs that ran.
func TestTheDefaultsBoundAHungTargetWithinFiveMinutes(t *testing.T) {
	const ciBound = 5 * time.Minute
	if worst := maxNoReply * config.DefaultRequestTimeout; worst > ciBound/2 {
		t.Errorf("a hung target may cost %s (%d × %s), over half of %s", worst, maxNoReply, config.DefaultRequestTimeout, ciBound)
	}
}
