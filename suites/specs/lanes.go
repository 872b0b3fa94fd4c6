package specs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/spacedog-oss/batchkit/suites/internal/generative"
	"github.com/spacedog-oss/batchkit/suites/internal/typepool"
)

// TypesPerSpec is how many types of its lane a spec may use: a type of
// its own for each thing it checks apart.
const TypesPerSpec = 2

// LaneSize is the most types a lane holds, across the backends a run
// writes in, and so the most a run leaves on its target: the specs' types
// in the target's own backend and in the two beside it, the type of the
// first of those alone (typeOfOneBackend), and the generative mode's.
func LaneSize() int { return TypesPerSpec*3 + 1 + generative.LaneSize() }

// leaseMargin is how long a lease outlives the run's deadline: the time
// its last exchanges and its reports take.
const leaseMargin = 10 * time.Minute

// types hands out the run's type names. With a lane of the pool (package
// typepool), a spec's types are the lane's, by the order it asks for
// them, each empty when the spec gets it; so any number of runs leaves at
// most the pool's types on the target. Without one (every lane held, or a
// target that does not answer the leases as the data API does), each
// type is the process's own, under a random prefix, and stays.
type runTypes struct {
	prefix string // every type the process uses starts with it
	lease  *typepool.Lease

	mu    sync.Mutex
	next  int          // the running spec's next type
	dirty map[int]bool // the lane's types that may hold objects
	fresh int          // without a lane: the types made so far
}

// leaseTypes leases a lane for the process and empties its types, or says
// why the run's types are its own.
func leaseTypes(c *client) *runTypes {
	holder, _ := os.Hostname()
	holder = fmt.Sprintf("%s pid %d %s", holder, os.Getpid(), strings.ToLower(rand.Text()[:8]))
	pool := &typepool.Pool{Client: &http.Client{Transport: boundedTransport(c.cfg.RequestTimeout, c.base), Timeout: c.cfg.RequestTimeout},
		Base: c.base, User: c.cfg.Username, Password: c.cfg.Password, Holder: holder, Hold: c.cfg.RunTimeout + leaseMargin}
	ctx, cancel := context.WithDeadline(context.Background(), c.health.deadline)
	defer cancel()
	lease, err := pool.Acquire(ctx)
	if err != nil {
		why := err.Error()
		if !errors.Is(err, typepool.ErrAllHeld) {
			why = "no lane of the pool could be leased: " + why
		}
		fmt.Fprintf(os.Stdout, "conformance: the run's types are its own, and stay on the target (%s)\n", why)
		return &runTypes{prefix: "ck" + strings.ToLower(rand.Text()[:8])}
	}
	fmt.Fprintf(os.Stdout, "conformance: the run's types are %s_*, lane %d of the pool\n", lease.Prefix, lease.Number)
	t := &runTypes{prefix: lease.Prefix, lease: lease, dirty: map[int]bool{}}
	for i := range TypesPerSpec {
		t.dirty[i] = !c.empty(lease.Type(i))
	}
	// The generative mode's types are emptied before its sequences: left
	// over from a run that was stopped, they would be its first state.
	for _, typ := range generative.Types(t.generativePrefix()) {
		c.empty(typ)
	}
	DeferCleanup(func() { lease.Release(context.Background()) })
	return t
}

// generativePrefix starts the types of the generative mode.
func (t *runTypes) generativePrefix() string { return t.prefix + "_gen" }

// startSpec starts a spec's types from the lane's first.
func (t *runTypes) startSpec() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next = 0
}

// empty deletes a type's objects, and reports whether it holds none now:
// emptied, or never created.
func (c *client) empty(typ string) bool { return c.emptyAt(c.base, typ) }

// emptyAt is empty, in the backend at base.
func (c *client) emptyAt(base, typ string) bool {
	r, err := c.sendAt(base, "DELETE", "/1/data/"+typ, nil, c.cfg.Username, c.cfg.Password)
	return err == nil && (r.Status == http.StatusOK || r.Status == http.StatusNotFound)
}

// freshType names a type that no other spec, nor another run at the same
// time, uses, empty; its objects are deleted when the spec ends, failed
// or not. The type may be known to the target already (a lane's type,
// emptied by an earlier run): a spec that needs a type never created asks
// unknownType. name says what the spec keeps in it.
func (c *client) freshType(name string) string {
	GinkgoHelper()
	t := c.types
	t.mu.Lock()
	i := t.next
	t.next++
	var typ string
	dirty := false
	if t.lease == nil {
		t.fresh++
		typ = fmt.Sprintf("%s_%s%d", t.prefix, name, t.fresh)
	} else {
		typ, dirty = t.lease.Type(i), t.dirty[i]
	}
	t.mu.Unlock()
	if t.lease != nil && i >= TypesPerSpec {
		Fail(fmt.Sprintf("a bug of the kit: the spec asks for more than the %d types of a lane (TypesPerSpec)", TypesPerSpec))
	}
	if dirty && !c.empty(typ) {
		Fail(fmt.Sprintf("setting up: emptying the type %s (DELETE /1/data/%s) failed", typ, typ))
	}
	DeferCleanup(func() {
		ok := c.empty(typ)
		if t.lease != nil {
			t.mu.Lock()
			t.dirty[i] = !ok
			t.mu.Unlock()
		}
	})
	return typ
}

// freshTypeIn is freshType, in the target's own backend and in each
// backend at bases too: empty there when the spec gets it, its objects
// deleted there when the spec ends.
func (c *client) freshTypeIn(name string, bases ...string) string {
	GinkgoHelper()
	typ := c.freshType(name)
	for _, base := range bases {
		c.emptyBefore(base, typ)
	}
	return typ
}

// typeOfOneBackend names a type that runs create in the backend at base
// alone, so that the backends beside it never knew it, from run to run:
// the lane's type of that use, or without a lane one of the process's
// own. It is empty when the spec gets it; its objects are deleted when
// the spec ends.
func (c *client) typeOfOneBackend(base string) string {
	GinkgoHelper()
	typ := c.types.prefix + "_onebackend"
	if c.types.lease == nil {
		typ = c.freshType("onebackend")
	}
	c.emptyBefore(base, typ)
	return typ
}

// emptyBefore empties a type in the backend at base for the running spec,
// and again when it ends.
func (c *client) emptyBefore(base, typ string) {
	GinkgoHelper()
	if !c.emptyAt(base, typ) {
		Fail(fmt.Sprintf("setting up: emptying the type %s at %s (DELETE /1/data/%s) failed", typ, base, typ))
	}
	DeferCleanup(func() { c.emptyAt(base, typ) })
}

// unknownType names a type that no one ever created: a spec may read it,
// and must never create it, which would leave it on the target.
func (c *client) unknownType() string {
	return fmt.Sprintf("ck%s_never", strings.ToLower(rand.Text()[:10]))
}
