package specs

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/internal/subreq"
)

var _ = Describe("Security", func() {
	It("refuses paths that leave the target, and never calls out", rule("SEC-1"), func() {
		// A canary on this machine: a target that follows a URL would hit it.
		var hits atomic.Int64
		canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		DeferCleanup(canary.Close)
		host := strings.TrimPrefix(canary.URL, "http://")
		typ := target.freshType("escape")
		seed(typ, "x", obj{})
		res := target.batch("",
			subreq.Get(canary.URL+"/1/data/"+typ+"/x"),
			subreq.Get("//"+host+"/1/data/"+typ+"/x"),
			subreq.Delete("/1/data/"+typ+"/../"+typ+"/x"),
			subreq.Delete("/1/data/"+typ+"/%2e%2e/"+typ+"/x"),
			subreq.Delete("/1/data/"+typ+"/%2E./"+typ+"/x"),
			subreq.Delete("/1/data/"+typ+"/x").With("headers", obj{"X-Note": "a\r\nX-Injected: 1"}),
			subreq.Delete("/1/data/"+typ+"/x").With("headers", obj{"X-A\r\nX-B": "1"}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{400, 400, 400, 400, 400, 400, 400}))
		Expect(hits.Load()).To(BeZero(), "the target called out to a URL given in a batch")
		Expect(target.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusOK), "x was deleted")
	})

	It("keeps the mock's admin routes out of reach of a batch", rule("SEC-2"), func() {
		typ := target.freshType("admin")
		seed(typ, "x", obj{})
		res := target.batch("",
			sub{"method": "POST", "path": "/_mock/reset"},
			subreq.Get("/_mock/state"),
			subreq.Get("/_mock/requests"),
			sub{"method": "DELETE", "path": "/_mock/requests"},
		).Results()
		for i, r := range res {
			// Out of reach: refused, with no status pinned (a live server
			// has no such route: 404).
			expect4xx(r.Status(), fmt.Sprintf("result %d reached an admin route", i))
			expectEnvelope(r.Body, r.Status())
		}
		Expect(target.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusOK), "the data was reset")
	})

	// The hostile corpus. Each case gets a spec of its own rule (the
	// statuses that rule pins, nothing stored changed) and, when that rule
	// is a MUST, a spec of SEC-3 (no crash, nothing stored changed). Each spec
	// works on a type of its own holding seed1: a server that breaks one
	// case fails the specs of that case alone.
	Describe("against the hostile corpus", func() {
		cases, err := fixtures.Hostile()
		if err != nil {
			panic(err)
		}
		checkUnjudged(cases)
		for _, c := range cases {
			if strings.HasPrefix(c.Rule, "LIM-") {
				continue // limits depend on the target's settings: the limit specs check them
			}
			if _, ok := unjudged[c.Name]; ok {
				continue
			}
			profiles := Label()
			if len(c.Profiles) > 0 {
				profiles = Label(c.Profiles...)
			}
			if c.Rule != "SEC-3" && isMust(c.Rule) {
				It(fmt.Sprintf("survives %s and keeps what is stored", c.Name), rule("SEC-3"), profiles, func() {
					runHostile(c, false)
				})
			}
			It(fmt.Sprintf("answers %s as %s says", c.Name, c.Rule), rule(c.Rule), profiles, func() {
				runHostile(c, true)
			})
		}
	})
})

// unjudged are corpus cases whose outcome no rule pins: a server may take
// them, and change data doing so, and keep the contract.
var unjudged = map[string]string{
	"strict is not a boolean": "no rule says how strict reads a value other than true or false",
}

// checkUnjudged stops the suite from building when unjudged names a case
// the corpus no longer has.
func checkUnjudged(cases []fixtures.Case) {
	for name := range unjudged {
		if !slices.ContainsFunc(cases, func(c fixtures.Case) bool { return c.Name == name }) {
			panic(fmt.Sprintf("suites: the hostile corpus has no case %q", name))
		}
	}
}

// runHostile sends a corpus case to a type of its own, holding seed1. By
// its rule, every status the case gives must be the one its rule pins. For
// SEC-3, hostile JSON must get a 4xx, and no item a 5xx: which status an
// item gets is its own rule's question. Either way, nothing stored may
// change.
func runHostile(c fixtures.Case, byRule bool) {
	GinkgoHelper()
	typ := target.freshType("hostile")
	seed(typ, "seed1", obj{"name": "kept"})
	before := target.do("GET", "/1/data/"+typ+"/seed1", nil).Body
	body, err := c.Body()
	Expect(err).NotTo(HaveOccurred())
	body = bytes.ReplaceAll(body, []byte("/1/data/hostile"), []byte("/1/data/"+typ))
	path := strings.ReplaceAll(c.Target(), "/1/data/hostile", "/1/data/"+typ)
	r := target.do(c.Method, path, body)
	pinned := func(status int) types.GomegaMatcher {
		switch {
		case status >= 400 && (c.Rule == "SEC-2" || c.Rule == "SEC-3"):
			return is4xx() // a refusal, with no status pinned
		case c.Rule == "SEC-1" && bytes.Contains(bytes.ToLower(body), []byte("%2f")):
			// The id is k/: invalid (400) or not found (404), see the
			// precisions' spec of SEC-1.
			return BeElementOf(http.StatusBadRequest, http.StatusNotFound)
		}
		return Equal(status)
	}
	switch {
	case !byRule && (c.Status >= 400 || r.Status != http.StatusOK):
		expect4xx(r.Status, "the status")
	case !byRule:
		for i, got := range r.Results() {
			Expect(got.Status()).To(BeNumerically("<", 500), "result %d", i)
		}
	case c.Status >= 400:
		Expect(r.Status).To(pinned(c.Status), "the status")
		expectEnvelope(r.Object(), r.Status)
	default:
		res := r.Results()
		Expect(res).To(HaveLen(len(c.Results)), "the results")
		for i, got := range res {
			Expect(got.Status()).To(pinned(c.Results[i]), "result %d", i)
			if got.Status() >= 400 {
				expectEnvelope(got.Body, got.Status())
			}
		}
	}
	after := target.do("GET", "/1/data/"+typ+"/seed1", nil)
	Expect(after.Status).To(Equal(http.StatusOK), "seed1 is gone")
	Expect(after.Body).To(MatchJSON(before), "seed1 was changed")
	Expect(target.do("GET", "/1/data/"+typ+"?size=0", nil).Object()).To(HaveKeyWithValue("total", num(1)), "objects were created")
}

func expect4xx(status int, what string) {
	GinkgoHelper()
	Expect(status).To(is4xx(), what)
}

// is4xx matches a status that refuses the request as the client's fault,
// where a rule asks for a refusal and pins no status.
func is4xx() types.GomegaMatcher { return And(BeNumerically(">=", 400), BeNumerically("<", 500)) }
