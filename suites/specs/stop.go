package specs

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
)

var _ = Describe("stopOnError", func() {
	// failing is a batch whose second and fourth items fail, each followed by
	// a create whose object shows whether it ran.
	failing := func(typ string) []any {
		return []any{
			subreq.Post("/1/data/"+typ+"?id=a", obj{}),
			subreq.Get("/1/data/" + typ + "/missing"),
			subreq.Post("/1/data/"+typ+"?id=b", obj{}),
			sub{"method": "GET"},
			subreq.Post("/1/data/"+typ+"?id=c", obj{}),
		}
	}
	exists := func(typ, id string) bool {
		return target.do("GET", "/1/data/"+typ+"/"+id, nil).Status == http.StatusOK
	}

	DescribeTable("off, every sub-request runs, failed ones included",
		func(query string) {
			typ := target.freshType("stopoff")
			res := target.batch(query, failing(typ)...).Results()
			Expect(statuses(res)).To(Equal([]int{created(), 404, created(), 400, created()}))
			for _, id := range []string{"a", "b", "c"} {
				Expect(exists(typ, id)).To(BeTrue(), "%s was not created", id)
			}
		},
		Entry("when absent", rule("STOP-1"), ""),
		Entry("when false", rule("STOP-1"), "stopOnError=false"),
		Entry("when FALSE", rule("STOP-1"), "stopOnError=FALSE"),
	)

	DescribeTable("on, processing ends with the first failed result and nothing after it runs",
		func(query string, fail func(typ string) sub) {
			typ := target.freshType("stopon")
			seed(typ, "taken", obj{})
			res := target.batch(query,
				subreq.Post("/1/data/"+typ+"?id=a", obj{}),
				fail(typ),
				subreq.Post("/1/data/"+typ+"?id=z", obj{}),
			).Results()
			Expect(res).To(HaveLen(2), "the reply should end at index 1, the first failed result; it has %s", res)
			Expect(res[1].Status()).To(BeNumerically(">=", 400), "the reply should end at index 1, the first failed result; it has %s", res)
			Expect(exists(typ, "a")).To(BeTrue(), "what ran before the failure stays")
			Expect(exists(typ, "z")).To(BeFalse(), "what comes after the failure must not run")
		},
		Entry("on a 404", rule("STOP-2"), "stopOnError=true", func(t string) sub { return subreq.Get("/1/data/" + t + "/missing") }),
		Entry("on a malformed item", rule("STOP-2"), "stopOnError=true", func(t string) sub { return sub{"method": "GET"} }),
		Entry("on a 409", rule("STOP-2"), "stopOnError=true", func(t string) sub { return subreq.Put("/1/data/"+t+"/taken?version=9", obj{}) }),
		Entry("on a 405", rule("STOP-2"), "stopOnError=true", func(t string) sub { return sub{"method": "PATCH", "path": "/1/data/" + t} }),
		Entry("written True", rule("STOP-2"), "stopOnError=True", func(t string) sub { return subreq.Get("/1/data/" + t + "/missing") }),
	)

	It("on and without failure, runs every sub-request", rule("STOP-3"), func() {
		typ := target.freshType("stopnone")
		var items []any
		for range cfg.MaxBatch {
			items = append(items, subreq.Post("/1/data/"+typ, obj{}))
		}
		res := target.batch("stopOnError=true", items...).Results()
		Expect(res).To(HaveLen(cfg.MaxBatch))
		Expect(target.do("GET", "/1/data/"+typ+"?size=0", nil).Object()).To(HaveKeyWithValue("total", num(cfg.MaxBatch)))
	})

	It("with another value than true or false, rejects the batch with 400", rule("STOP-4"), func() {
		typ := target.freshType("stopbad")
		for _, v := range []string{"yes", "1", "maybe"} {
			r := target.batch("stopOnError="+v, subreq.Post("/1/data/"+typ+"?id=a", obj{}))
			Expect(r.Status).To(Equal(http.StatusBadRequest), "stopOnError=%s", v)
			expectEnvelope(r.Object(), http.StatusBadRequest)
		}
		Expect(exists(typ, "a")).To(BeFalse(), "a rejected batch ran")
	})
})
