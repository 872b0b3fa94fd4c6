package suites_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/fixtures"
)

var _ = Describe("Security", func() {
	It("refuses paths that leave the target, and never calls out", rule("SEC-1"), func() {
		// A canary on this machine: a target that follows a URL would hit it.
		var hits atomic.Int64
		canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		DeferCleanup(canary.Close)
		host := strings.TrimPrefix(canary.URL, "http://")
		typ := target.freshType("escape")
		target.do("POST", "/1/data/"+typ+"?id=x", obj{})
		res := target.batch("",
			get(canary.URL+"/1/data/"+typ+"/x"),
			get("//"+host+"/1/data/"+typ+"/x"),
			del("/1/data/"+typ+"/../"+typ+"/x"),
			del("/1/data/"+typ+"/%2e%2e/"+typ+"/x"),
			del("/1/data/"+typ+"/%2E./"+typ+"/x"),
			del("/1/data/"+typ+"/x").with("headers", obj{"X-Note": "a\r\nX-Injected: 1"}),
			del("/1/data/"+typ+"/x").with("headers", obj{"X-A\r\nX-B": "1"}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{400, 400, 400, 400, 400, 400, 400}))
		Expect(hits.Load()).To(BeZero(), "the target called out to a URL given in a batch")
		Expect(target.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusOK), "x was deleted")
	})

	It("keeps the mock's admin routes out of reach of a batch", rule("SEC-2"), func() {
		typ := target.freshType("admin")
		target.do("POST", "/1/data/"+typ+"?id=x", obj{})
		res := target.batch("",
			sub{"method": "POST", "path": "/_mock/reset"},
			get("/_mock/state"),
			get("/_mock/requests"),
			sub{"method": "DELETE", "path": "/_mock/requests"},
		).Results()
		for i, r := range res {
			Expect(r.Status()).To(BeNumerically(">=", 400), "result %d reached an admin route", i)
			expectEnvelope(r.Body, r.Status())
		}
		Expect(target.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusOK), "the data was reset")
	})

	Describe("against the hostile corpus", Ordered, ContinueOnFailure, func() {
		var typ string
		var before []byte
		BeforeAll(func() {
			typ = target.freshType("hostile")
			target.do("POST", "/1/data/"+typ+"?id=seed-1", obj{"name": "kept"})
			before = target.do("GET", "/1/data/"+typ, nil).Body
		})

		cases, err := fixtures.Hostile()
		if err != nil {
			panic(err)
		}
		for _, c := range cases {
			if strings.HasPrefix(c.Rule, "LIM-") {
				continue // limits depend on the target's settings: the limit specs check them
			}
			profiles := Label()
			if len(c.Profiles) > 0 {
				profiles = Label(c.Profiles...)
			}
			It(fmt.Sprintf("answers %s with a 4xx and changes nothing", c.Name), rule("SEC-3", c.Rule), profiles, func() {
				body, err := c.Body()
				Expect(err).NotTo(HaveOccurred())
				body = bytes.ReplaceAll(body, []byte("/1/data/hostile"), []byte("/1/data/"+typ))
				r := target.do(c.Method, c.Target(), body)
				// SEC-3 asks for a 4xx; the exact status is the case's own
				// rule's, which a SHOULD rule does not impose.
				if c.Status >= 400 {
					expect4xx(r.Status, "the status")
					if isMust(c.Rule) {
						Expect(r.Status).To(Equal(c.Status))
					}
					expectEnvelope(r.Object(), r.Status)
				} else {
					res := r.Results()
					Expect(res).To(HaveLen(len(c.Results)))
					for i, r := range res {
						if c.Results[i] >= 400 {
							expect4xx(r.Status(), fmt.Sprintf("result %d", i))
							if isMust(c.Rule) {
								Expect(r.Status()).To(Equal(c.Results[i]), "result %d", i)
							}
							expectEnvelope(r.Body, r.Status())
						}
					}
				}
				Expect(target.do("GET", "/1/data/"+typ, nil).Body).To(MatchJSON(before), "the stored data changed")
			})
		}
	})
})

func expect4xx(status int, what string) {
	GinkgoHelper()
	Expect(status).To(And(BeNumerically(">=", 400), BeNumerically("<", 500)), what)
}
