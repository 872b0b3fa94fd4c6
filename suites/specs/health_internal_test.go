package specs

import (
	"errors"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/config"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
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

// A row of exchanges without a reply takes a route as down, or the whole
// target when the row crosses routes; an answer in between ends the row:
// a proxy that never answers one kind of body fails the specs that send
// it, and takes nothing down.
func TestARowOfUnansweredExchangesTakesItsRouteDown(t *testing.T) {
	hung := &exchange.NoReply{Err: errors.New("no reply within 1s")}
	var h health
	for range 3 * maxNoReply {
		h.note("POST /1/batch", hung)
		h.note("POST /1/batch", nil)
	}
	if why := h.down("POST /1/batch"); why != "" {
		t.Fatalf("answers between the failures, yet the batch route is down: %s", why)
	}
	for range maxNoReply {
		h.note("POST /1/batch", hung)
		h.note("GET /1/data", nil)
	}
	if h.down("POST /1/batch") == "" || h.down("GET /1/data") != "" || h.down("") != "" {
		t.Fatalf("after %d failures in a row on the batch route, others answering: batch %q, data %q, target %q",
			maxNoReply, h.down("POST /1/batch"), h.down("GET /1/data"), h.down(""))
	}
	var g health
	for i := range maxNoReply {
		g.note([]string{"GET /1/data", "PUT /1/data"}[i%2], hung)
	}
	if g.down("") == "" || g.down("DELETE /1/data") == "" {
		t.Fatal("no reply to anything, and the target is not taken as down")
	}
}
