package specs

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

var _ = Describe("The batch size limit", func() {
	count := func(typ string) int {
		r := target.do("GET", "/1/data/"+typ+"?size=0", nil)
		if r.Status == http.StatusNotFound {
			return 0 // never created
		}
		Expect(r.Status).To(Equal(http.StatusOK))
		n, err := strconv.Atoi(fmt.Sprint(r.Object()["total"]))
		Expect(err).NotTo(HaveOccurred())
		return n
	}
	creates := func(typ string, n int) []any {
		items := make([]any, n)
		for i := range items {
			items[i] = subreq.Post(fmt.Sprintf("/1/data/%s?id=n%d", typ, i), obj{"i": i})
		}
		return items
	}

	It("answers an empty batch with 200 and no result", rule("LIM-1"), func() {
		r := target.batch("")
		Expect(r.Results()).To(BeEmpty())
	})

	It("answers an empty batch with an empty array", rule("LIM-1"), only(spec.Doc), func() {
		Expect(target.batch("").Body).To(MatchJSON(`[]`))
	})

	It("answers an empty batch with an empty envelope, as the 2016 server did", rule("LIM-1"), only(spec.SpaceDog2016), func() {
		o := target.batch("").Object()
		Expect(o).To(And(HaveKeyWithValue("success", true), HaveKeyWithValue("status", num(200))))
		Expect(o).To(HaveKeyWithValue("responses", BeEmpty()))
	})

	It("answers a batch of exactly the limit with 200, whatever the sub-requests' outcomes", rule("LIM-1"), func() {
		typ := target.freshType("limit")
		items := creates(typ, cfg.MaxBatch)
		items[len(items)-1] = subreq.Get("/1/data/" + typ + "/missing")
		res := target.batch("", items...).Results()
		Expect(res).To(HaveLen(cfg.MaxBatch))
		Expect(res[len(res)-1].Status()).To(Equal(http.StatusNotFound))
	})

	It("rejects one sub-request over the limit with 400, naming the limit, and runs none", rule("LIM-2"), func() {
		typ := target.freshType("overlimit")
		r := target.batch("", creates(typ, cfg.MaxBatch+1)...)
		Expect(r.Status).To(Equal(http.StatusBadRequest), "the status of a batch of %d, one over the limit", cfg.MaxBatch+1)
		Expect(expectEnvelope(r.Object(), http.StatusBadRequest)).To(ContainSubstring(strconv.Itoa(cfg.MaxBatch)))
		Expect(count(typ)).To(BeZero(), "objects were created by a rejected batch")
	})

	It("rejects a body over the size limit with 413 and runs none of it", rule("LIM-3"), func() {
		typ := target.freshType("bigbody")
		pad := strings.Repeat("x", int(cfg.MaxBody))
		r := target.batch("", subreq.Post("/1/data/"+typ+"?id=big", obj{"pad": pad}))
		Expect(r.Status).To(Equal(http.StatusRequestEntityTooLarge), "the status of a body over %d bytes", cfg.MaxBody)
		expectEnvelope(r.Object(), http.StatusRequestEntityTooLarge)
		Expect(count(typ)).To(BeZero())
	})
})
