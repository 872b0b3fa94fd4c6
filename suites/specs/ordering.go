package specs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

var _ = Describe("Order of execution", func() {
	It("gives one result per sub-request, in request order", rule("ORD-1"), func() {
		typ := target.freshType("order")
		var items []any
		for i := range cfg.MaxBatch {
			items = append(items, subreq.Post(fmt.Sprintf("/1/data/%s?id=n%d", typ, i), obj{"i": i}))
		}
		res := target.batch("", items...).Results()
		Expect(res).To(HaveLen(cfg.MaxBatch))
		for i, r := range res {
			Expect(r.Body).To(HaveKeyWithValue("id", fmt.Sprintf("n%d", i)), "result %d", i)
		}
	})

	It("runs sub-requests one after another, each seeing the effects of the ones before", rule("ORD-2"), func() {
		typ := target.freshType("sequence")
		o := "/1/data/" + typ + "/a"
		res := target.batch("",
			subreq.Post("/1/data/"+typ+"?id=a", obj{"name": "first"}),
			subreq.Get(o),
			subreq.Put(o, obj{"name": "second"}),
			subreq.Get(o),
			subreq.Get("/1/data/"+typ),
			subreq.Delete(o),
			subreq.Get(o),
			subreq.Get("/1/data/"+typ),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200, 200, 200, 200, 200, 404, 200}))
		Expect(res[1].Body).To(HaveKeyWithValue("name", "first"))
		Expect(res[3].Body).To(HaveKeyWithValue("name", "second"))
		Expect(res[4].Body).To(HaveKeyWithValue("total", num(1)))
		Expect(res[7].Body).To(HaveKeyWithValue("total", num(0)))
	})

	DescribeTable("keeps what earlier sub-requests did when a later one fails",
		func(query string) {
			typ := target.freshType("norollback")
			res := target.batch(query,
				subreq.Post("/1/data/"+typ+"?id=kept", obj{"a": 1}),
				subreq.Put("/1/data/"+typ+"/kept", obj{"b": 2}),
				subreq.Get("/1/data/"+typ+"/missing"),
			).Results()
			Expect(statuses(res)).To(Equal([]int{created(), 200, 404}))
			o := target.do("GET", "/1/data/"+typ+"/kept", nil)
			Expect(o.Status).To(Equal(http.StatusOK))
			Expect(o.Object()).To(And(HaveKeyWithValue("a", num(1)), HaveKeyWithValue("b", num(2))))
		},
		Entry("without stopOnError", rule("ORD-3"), ""),
		Entry("with stopOnError=true", rule("ORD-3"), "stopOnError=true"),
	)

	It("wraps a successful GET's result in a success envelope, as the 2016 server did", rule("ORD-4"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("wrapped")
		seed(typ, "x", obj{"a": 1})
		direct := target.do("GET", "/1/data/"+typ+"/x", nil).Object()
		res := target.batch("", subreq.Get("/1/data/"+typ+"/x")).Results()
		var wrapped obj
		Expect(json.Unmarshal(res[0].Raw, &wrapped)).To(Succeed())
		Expect(wrapped).To(HaveKeyWithValue("success", true))
		Expect(wrapped).To(HaveKeyWithValue("content", HaveKeyWithValue("meta", HaveKeyWithValue("id", "x"))))
		Expect(res[0].Body).To(Equal(direct))
	})

	It("answers a sub-request as the same request sent on its own", rule("ORD-4"), func() {
		direct, batched := target.freshType("direct"), target.freshType("batched")
		type step struct {
			method, path string // path has TYPE for the type
			body         any
		}
		steps := []step{
			{"POST", "/1/data/TYPE?id=fixed", obj{"name": "Mobby Dick", "meta": obj{"version": 9}}},
			{"POST", "/1/data/TYPE?id=fixed", obj{"name": "again"}},
			{"POST", "/1/data/TYPE", obj{"name": "Teddy Bear"}},
			{"GET", "/1/data/TYPE/fixed", nil},
			{"PUT", "/1/data/TYPE/fixed?version=1", obj{"price": "$29.99"}},
			{"PUT", "/1/data/TYPE/fixed?version=1", obj{"price": "$1"}},
			{"PUT", "/1/data/TYPE/fixed?strict=true", obj{"only": true}},
			{"GET", "/1/data/TYPE/fixed", nil},
			{"GET", "/1/data/TYPE?size=1&from=1", nil},
			{"GET", "/1/data/TYPE/nope", nil},
			{"POST", "/1/data/TYPE", []any{1}},
			{"GET", "/1/data/TYPE?size=-1", nil},
			{"DELETE", "/1/data/TYPE/fixed", nil},
			{"GET", "/1/data/TYPE/fixed", nil},
		}
		// Batches of at most the limit, so the comparison works on any limit.
		var got []result
		var want []reply
		for start := 0; start < len(steps); start += cfg.MaxBatch {
			var items []any
			for _, s := range steps[start:min(len(steps), start+cfg.MaxBatch)] {
				item := sub{"method": s.method, "path": strings.ReplaceAll(s.path, "TYPE", batched)}
				if s.body != nil {
					item["content"] = s.body
				}
				items = append(items, item)
				want = append(want, target.do(s.method, strings.ReplaceAll(s.path, "TYPE", direct), s.body))
			}
			got = append(got, target.batch("", items...).Results()...)
		}
		Expect(got).To(HaveLen(len(steps)))
		for i, s := range steps {
			By(fmt.Sprintf("%s %s", s.method, s.path))
			Expect(got[i].Status()).To(Equal(want[i].Status), "status")
			Expect(comparableBody(got[i].Alone, batched)).To(Equal(comparableBody(want[i].Body, direct)), "body")
		}
	})
})

// What a server generates on its own (ids, times, the location's host)
// differs between two runs of the same request; comparableBody masks it, and
// the type's name.
var (
	generatedID = regexp.MustCompile(`"(id|location)":"[^"]*"`)
	timestamp   = regexp.MustCompile(`"(createdAt|updatedAt)":"[^"]*"`)
)

func comparableBody(body []byte, typ string) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return string(body)
	}
	canonical, _ := json.Marshal(v) // key order and spacing as Go writes them
	s := strings.ReplaceAll(string(canonical), typ, "TYPE")
	s = generatedID.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Contains(m, `"fixed"`) || strings.HasSuffix(m, `/fixed"`) {
			return strings.Replace(m, m[strings.Index(m, ":")+1:], `"FIXED"`, 1)
		}
		return m[:strings.Index(m, ":")+1] + `"GENERATED"`
	})
	return timestamp.ReplaceAllString(s, `"$1":"TIME"`)
}
