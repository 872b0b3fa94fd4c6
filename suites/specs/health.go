package specs

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// maxNoReply is how many exchanges without a whole reply a process takes
// before it takes the target as down: with --request-timeout, it bounds
// the time a hung target costs a run (maxNoReply × the timeout, about).
const maxNoReply = 5

// health is what a process knows of the target's answering. A target that
// cannot be reached, or that gave no whole reply maxNoReply times, is down:
// the specs left are not run, each saying why, rather than each waiting
// out its timeout to fail the same way.
type health struct {
	deadline time.Time // the run's: past it, the specs left are not run

	mu        sync.Mutex
	noReplies int
	why       string // why the target is taken as down; "" while it is not
}

// note counts an exchange's failure to get a reply; a reply, or a reply
// that breaks the spec, is an answer.
func (h *health) note(err error) {
	var v *exchange.SpecError
	if err == nil || errors.As(err, &v) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.noReplies++
	var nr *exchange.NoReply
	switch {
	case h.why != "":
	case errors.As(err, &nr) && nr.Unreachable:
		h.why = fmt.Sprintf("the target is down: %s", unwrapURLError(err))
	case h.noReplies >= maxNoReply:
		h.why = fmt.Sprintf("the target is taken as down: %d requests got no usable reply; the last: %s", h.noReplies, unwrapURLError(err))
	}
}

// down says why the target is taken as down, or "".
func (h *health) down() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.why
}

// notRun says why the running spec is not to run: the target is down,
// or the run's time is up; "" when it may run.
func (h *health) notRun(runTimeout time.Duration) string {
	if why := h.down(); why != "" {
		return summary.NotRunPrefix + why
	}
	if time.Now().After(h.deadline) {
		return fmt.Sprintf("%sthe run's deadline passed (--run-timeout=%s)", summary.NotRunPrefix, runTimeout)
	}
	return ""
}
