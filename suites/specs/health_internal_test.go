package specs

import (
	"errors"
	"net/http"
	"strings"
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
	req := func(method, url string) *http.Request {
		r, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	batch, data, put := req("POST", "http://t:1/1/batch"), req("GET", "http://t:1/1/data/x"), req("PUT", "http://t:1/1/data/x/y")
	h := health{own: "t:1"}
	for range 3 * maxNoReply {
		h.note(batch, hung)
		h.note(batch, nil)
	}
	if why := h.down(batch); why != "" {
		t.Fatalf("answers between the failures, yet the batch route is down: %s", why)
	}
	for range maxNoReply {
		h.note(batch, hung)
		h.note(data, nil)
	}
	if h.down(batch) == "" || h.down(data) != "" || h.why != "" {
		t.Fatalf("after %d failures in a row on the batch route, others answering: batch %q, data %q, target %q",
			maxNoReply, h.down(batch), h.down(data), h.why)
	}
	g := health{own: "t:1"}
	for i := range maxNoReply {
		g.note([]*http.Request{data, put}[i%2], hung)
	}
	if g.why == "" || g.down(req("DELETE", "http://t:1/1/data/x")) == "" {
		t.Fatal("no reply to anything, and the target is not taken as down")
	}
}

// A backend's host that cannot be reached (a wrong --backend-hosts, no
// wildcard DNS) is down alone, saying which setting names it; the target's
// own host and the other backends go on.
func TestAnUnreachableBackendHostIsDownAlone(t *testing.T) {
	unreachable := &exchange.NoReply{Err: errors.New("no such host"), Unreachable: true}
	h := health{own: "staging.example.com"}
	a, err := http.NewRequest("GET", "https://a.staging.example.com/1/data/t", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := http.NewRequest("GET", "https://b.staging.example.com/1/data/t", nil)
	if err != nil {
		t.Fatal(err)
	}
	own, err := http.NewRequest("GET", "https://staging.example.com/1/data/t", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.note(a, unreachable)
	if why := h.down(a); !strings.Contains(why, "--backend-hosts") || h.down(b) != "" || h.down(own) != "" || h.why != "" {
		t.Errorf("a: %q, b: %q, own: %q, target: %q", why, h.down(b), h.down(own), h.why)
	}
}
