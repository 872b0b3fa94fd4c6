package typepool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

var profiles = []string{spec.Doc, spec.SpaceDog2016}

// target serves a mock of the profile behind wrap (nil: none).
func target(t *testing.T, profile string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	return defect.ServeMock(t, profile, wrap).URL
}

func pool(base, holder string) *Pool {
	return &Pool{Client: http.DefaultClient, Base: base, Holder: holder, Hold: time.Hour}
}

func acquire(t *testing.T, p *Pool) *Lease {
	t.Helper()
	l, err := p.Acquire(t.Context())
	if err != nil {
		t.Fatalf("%s: %v", p.Holder, err)
	}
	return l
}

func TestRunsOneAfterAnotherUseTheFirstLane(t *testing.T) {
	for _, profile := range profiles {
		t.Run(profile, func(t *testing.T) {
			base := target(t, profile, nil)
			for i := range 3 {
				l := acquire(t, pool(base, fmt.Sprint("run", i)))
				if l.Number != 0 || l.Type(2) != "batchkit0_t2" {
					t.Errorf("run %d: lane %d (types %s...), want lane 0 (batchkit0_...)", i, l.Number, l.Type(0))
				}
				if err := l.Release(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// More runs at once than lanes: each lane goes to one run, and the runs
// left over are told that every lane is held.
func TestRunsAtOnceNeverShareALane(t *testing.T) {
	for _, profile := range profiles {
		t.Run(profile, func(t *testing.T) {
			base := target(t, profile, nil)
			const runs = Lanes + 4
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				holders = map[int][]string{}
				allHeld atomic.Int32
			)
			for i := range runs {
				wg.Go(func() {
					p := pool(base, fmt.Sprint("run", i))
					l, err := p.Acquire(context.Background())
					if errors.Is(err, ErrAllHeld) {
						allHeld.Add(1)
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					holders[l.Number] = append(holders[l.Number], p.Holder)
					mu.Unlock()
				})
			}
			wg.Wait()
			for lane, hs := range holders {
				if len(hs) > 1 {
					t.Errorf("lane %d is held by %v at once", lane, hs)
				}
			}
			if len(holders) != Lanes || allHeld.Load() != runs-Lanes {
				t.Errorf("%d lanes taken, %d runs told all are held; want %d and %d", len(holders), allHeld.Load(), Lanes, runs-Lanes)
			}
		})
	}
}

func TestALeasePastItsTimeIsTaken(t *testing.T) {
	base := target(t, spec.Doc, nil)
	a := pool(base, "a")
	a.Hold = time.Minute
	if l := acquire(t, a); l.Number != 0 {
		t.Fatalf("lane %d", l.Number)
	}
	b := pool(base, "b")
	b.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if l := acquire(t, b); l.Number != 0 {
		t.Errorf("the lease of lane 0 has expired; b took lane %d", l.Number)
	}
	if l := acquire(t, pool(base, "c")); l.Number != 1 {
		t.Errorf("c took lane %d while b holds lane 0, want 1", l.Number)
	}
}

// hook runs before the first request that matches, once, then passes
// every request on: an interleaving of two runs, made certain. The
// requests that before sends pass meanwhile.
func hook(method, query string, before func()) func(http.Handler) http.Handler {
	var fired atomic.Bool
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && strings.Contains(r.URL.RawQuery, query) && fired.CompareAndSwap(false, true) {
				before()
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Run a reads lane 0 free; b takes it; a's update, with the version it
// read, is refused, and a takes lane 1. A target that ignores the version
// would let a take lane 0 too: a sees that its update did not replace
// the version it read, and refuses the lease rather than share the lane.
func TestAStaleVersionLosesTheLane(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(map[bool]string{false: "the mock", true: "a target that ignores version"}[broken], func(t *testing.T) {
			var b *Pool
			var bLane atomic.Int32
			bLane.Store(-1)
			ignoreVersion := func(next http.Handler) http.Handler {
				if !broken {
					return next
				}
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q := r.URL.Query()
					q.Del("version")
					r.URL.RawQuery = q.Encode()
					next.ServeHTTP(w, r)
				})
			}
			wrap := func(next http.Handler) http.Handler {
				return hook("PUT", "version=2", func() {
					if l, err := b.Acquire(context.Background()); err == nil {
						bLane.Store(int32(l.Number))
					}
				})(ignoreVersion(next))
			}
			base := target(t, spec.Doc, wrap)
			b = pool(base, "b")
			first := acquire(t, pool(base, "first")) // lane 0's lease exists, at version 1
			if err := first.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			a, err := pool(base, "a").Acquire(t.Context())
			if bLane.Load() != 0 {
				t.Fatalf("b took lane %d, want 0", bLane.Load())
			}
			switch {
			case broken && (err == nil || !strings.Contains(err.Error(), "version")):
				t.Errorf("a took %+v (%v): want an error that names the version", a, err)
			case !broken && (err != nil || a.Number != 1):
				t.Errorf("a took %+v (%v): want lane 1", a, err)
			}
		})
	}
}

// Run b finds no lease for lane 0; a creates it and holds the lane; b's
// creation comes after. In the doc profile it is refused (409); in the
// spacedog-2016 profile it overwrites a's lease, and b, seeing a version
// above 1, leaves lane 0 marked held and takes lane 1. a's release then
// frees nothing: lane 0 stays held, so no third run shares it with a.
func TestTwoRunsCreatingALeaseAtOnceNeverShareIt(t *testing.T) {
	for _, profile := range profiles {
		t.Run(profile, func(t *testing.T) {
			var a *Lease
			var base string
			wrap := hook("POST", "id=0", func() {
				l, err := pool(base, "a").Acquire(context.Background())
				if err != nil {
					t.Error(err)
				}
				a = l
			})
			base = target(t, profile, wrap)
			b := acquire(t, pool(base, "b"))
			if a == nil || a.Number != 0 || b.Number != 1 {
				t.Fatalf("a holds %+v, b lane %d: want lanes 0 and 1", a, b.Number)
			}
			if err := a.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			c := acquire(t, pool(base, "c"))
			want := map[string]int{spec.Doc: 0, spec.SpaceDog2016: 2}[profile]
			if c.Number != want {
				t.Errorf("c took lane %d, want %d", c.Number, want)
			}
		})
	}
}

func TestATargetThatCannotLeaseIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"success":false,"status":500}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	_, err := pool(srv.URL, "a").Acquire(t.Context())
	if err == nil || errors.Is(err, ErrAllHeld) || !strings.Contains(err.Error(), "500") {
		t.Errorf("error %v, want one naming the 500", err)
	}
}

// rewrite replaces old by new in the replies' bodies, as a target that
// spells the contract's members otherwise would answer.
func rewrite(old, new string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			maps.Copy(w.Header(), rec.Header())
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(bytes.ReplaceAll(rec.Body.Bytes(), []byte(old), []byte(new)))
		})
	}
}

// The leases' members are read by their exact names: a target that
// answers "Version" for "version", or "Meta" for "meta", has no lease to
// give, though Go's struct decoding would read it all the same.
func TestALeaseIsReadByItsMembersExactNames(t *testing.T) {
	for _, names := range [][2]string{{`"version"`, `"Version"`}, {`"meta"`, `"Meta"`}, {`"holder"`, `"HOLDER"`}} {
		for _, profile := range profiles {
			t.Run(profile+" "+names[1], func(t *testing.T) {
				base := target(t, profile, rewrite(names[0], names[1]))
				// A first run leaves lane 0's lease, held, for the second to read.
				first, _ := pool(base, "first").Acquire(t.Context())
				l, err := pool(base, "second").Acquire(t.Context())
				if err == nil {
					t.Errorf("the runs took lanes %v and %v from a target that answers %s for %s", first, l, names[1], names[0])
				}
			})
		}
	}
}

// ignoreID serves POSTs as a target that ignores ?id= does: the object
// gets an id of the target's making. With echo, its saved body names the
// id asked for all the same.
func ignoreID(echo bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			asked := q.Get("id")
			if r.Method != http.MethodPost || asked == "" {
				next.ServeHTTP(w, r)
				return
			}
			q.Del("id")
			r.URL.RawQuery = q.Encode()
			if !echo {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			m := jsonvalue.Members(rec.Body.Bytes())
			m["id"], _ = json.Marshal(asked)
			body, _ := json.Marshal(m)
			maps.Copy(w.Header(), rec.Header())
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

// A target that ignores ?id= creates each run's lease under an id of its
// own, and every run would believe it holds lane 0: runs at once would
// share its types. No run leases a lane there, whether the saved body
// names the id the target made or, lying, the one asked for; and none
// leaves behind a lease object whose id it was told.
func TestATargetThatIgnoresTheIdGivesNoLane(t *testing.T) {
	for _, echo := range []bool{false, true} {
		for _, profile := range profiles {
			t.Run(fmt.Sprintf("%s, the id asked for echoed: %v", profile, echo), func(t *testing.T) {
				base := target(t, profile, ignoreID(echo))
				for _, holder := range []string{"a", "b"} {
					l, err := pool(base, holder).Acquire(t.Context())
					if err == nil || errors.Is(err, ErrAllHeld) || !strings.Contains(err.Error(), "id") {
						t.Errorf("%s took %+v (%v): want an error that names the id", holder, l, err)
					}
				}
				p := pool(base, "reader")
				status, body, err := p.send(t.Context(), "GET", "/1/data/"+LeaseType, nil)
				if err != nil {
					t.Fatal(err)
				}
				// Lying, the target hides the id it made, and its objects stay.
				if total, _ := integer(jsonvalue.Members(body), "total"); !echo && status == http.StatusOK && total != 0 {
					t.Errorf("the runs left %d lease objects: %s", total, body)
				}
			})
		}
	}
}
