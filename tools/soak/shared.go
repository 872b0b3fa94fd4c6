package soak

import (
	"context"
	"fmt"
	"sync"

	"github.com/spacedog-oss/batchkit/internal/concurrency"
)

// One step in sharedEvery goes to the objects the clients share (unless
// Config says otherwise), and the shared objects are new every
// sharedEpoch requests: each epoch's
// history is checked as the next begins, then dropped, so that the check
// and the memory stay bounded however long the soak runs.
const (
	sharedEvery = 4
	sharedEpoch = 4000
)

// shared is the objects the soak's clients share, an epoch at a time: two
// fresh types of a few objects each (internal/concurrency), their
// requests recorded, and each epoch's history checked for
// linearizability (CONC-1) with the suites' own checker.
type shared struct {
	cfg    concurrency.Config
	prefix string

	mu     sync.Mutex
	epoch  int
	cur    *concurrency.Shared // nil until the first shared request, or when setting up failed
	checks sync.WaitGroup      // of the epochs before
	rep    *Report             // what the checks found, under mu
}

// current is the epoch's shared objects, set up on the first call of the
// epoch; nil when setting up failed (counted, and the soak shares no more).
func (s *shared) current(ctx context.Context) (*concurrency.Shared, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil && s.epoch >= 0 {
		cfg := s.cfg
		cfg.Types = []string{fmt.Sprintf("%s_s%d_a", s.prefix, s.epoch), fmt.Sprintf("%s_s%d_b", s.prefix, s.epoch)}
		sh, err := concurrency.NewShared(ctx, cfg)
		if err != nil {
			s.rep.Mismatches++
			s.rep.fail("the shared objects: " + err.Error())
			s.epoch = -1
			return nil, -1
		}
		sh.Begin()
		s.cur = sh
	}
	return s.cur, s.epoch
}

// next ends epoch, if it is still the current one, and checks its history
// while the clients go on with the next.
func (s *shared) next(epoch int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != epoch || s.cur == nil {
		return
	}
	old := s.cur
	s.cur, s.epoch = nil, s.epoch+1
	s.checks.Go(func() { s.judge(old) })
}

// judge checks an epoch's history.
func (s *shared) judge(sh *concurrency.Shared) {
	res := sh.Result()
	problem := res.Problem(func(ex concurrency.Exchange) string { return ex.Method + " " + ex.URL + " " + string(ex.Body) }, "", "")
	if problem == "" && res.NotJudged != "" {
		// The suites skip such a run; a soak wants every answer.
		problem = "the shared objects' history not judged: " + res.NotJudged
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rep.Shared += len(res.History.Exchanges())
	if problem != "" {
		s.rep.NotLinearizable++
		if len(problem) > 4000 {
			problem = problem[:4000] + "..."
		}
		s.rep.fail(problem)
	}
}

// finish checks the last epoch and waits for every check; it returns what
// they found.
func (s *shared) finish() *Report {
	s.mu.Lock()
	epoch := s.epoch
	s.mu.Unlock()
	s.next(epoch)
	s.checks.Wait()
	return s.rep
}

// shareStep sends one request on the shared objects, as a client of the
// concurrency mode draws it.
func (c *client) shareStep() {
	ctx := context.Background()
	sh, epoch := c.shared.current(ctx)
	if sh == nil {
		return
	}
	if c.conc == nil || c.epoch != epoch {
		c.conc, c.epoch = sh.Client(c.id), epoch
	}
	if !c.conc.Step(ctx) {
		c.shared.next(epoch)
	}
}
