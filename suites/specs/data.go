package specs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

var _ = Describe("Data reached through batches", func() {
	isTime := MatchRegexp(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

	It("reads an object back as its fields and meta", rule("DATA-1"), func() {
		typ := target.freshType("object")
		res := target.batch("",
			subreq.Post("/1/data/"+typ+"?id=p", obj{"name": "Teddy", "tags": []any{"toy"}, "meta": obj{"id": "forged", "version": 9}}),
			subreq.Get("/1/data/"+typ+"/p"),
			subreq.Put("/1/data/"+typ+"/p", obj{"price": "$1"}),
			subreq.Get("/1/data/"+typ+"/p"),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200, 200, 200}))
		first, second := res[1].Body, res[3].Body
		Expect(first).To(And(HaveKeyWithValue("name", "Teddy"), HaveKeyWithValue("tags", []any{"toy"})))
		Expect(second).To(And(HaveKeyWithValue("name", "Teddy"), HaveKeyWithValue("price", "$1")))
		meta1, meta2 := first["meta"].(obj), second["meta"].(obj)
		// The seven members; a server may add its own.
		for _, k := range []string{"id", "type", "version", "createdBy", "updatedBy", "createdAt", "updatedAt"} {
			Expect(meta1).To(HaveKey(k))
		}
		Expect(meta1).To(And(HaveKeyWithValue("id", "p"), HaveKeyWithValue("type", typ), HaveKeyWithValue("version", num(1))),
			"meta sent by the client is ignored")
		Expect(meta2).To(HaveKeyWithValue("version", num(2)))
		for _, k := range []string{"createdAt", "updatedAt"} {
			Expect(meta1[k]).To(isTime, k)
			Expect(meta2[k]).To(isTime, k)
		}
		Expect(meta2["createdAt"]).To(Equal(meta1["createdAt"]))
	})

	// The whole range of JSON values a store must keep, as sent: escapes,
	// characters beyond the BMP, combining marks, NUL, numbers beyond a
	// float64, nulls, deep and wide values, unusual names.
	It("reads back every JSON value as sent, directly and in a batch", rule("DATA-1"), func() {
		typ := target.freshType("values")
		fields := map[string]json.RawMessage{}
		for _, f := range jsonvalue.Range() {
			fields[f.Name] = f.Value
		}
		Expect(target.do("POST", "/1/data/"+typ+"?id=direct", fields).Status).To(Equal(created()), "a creation with every value")
		res := target.batch("", subreq.Post("/1/data/"+typ+"?id=batched", fields), subreq.Get("/1/data/"+typ+"/direct")).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200}))
		reads := map[string]obj{"direct, read in a batch": res[1].Body}
		for _, id := range []string{"direct", "batched"} {
			reads[id+", read directly"] = target.do("GET", "/1/data/"+typ+"/"+id, nil).Object()
		}
		for what, o := range reads {
			for _, f := range jsonvalue.Range() {
				want, err := jsonvalue.Decode(f.Value)
				Expect(err).NotTo(HaveOccurred())
				got, ok := o[f.Name]
				Expect(ok).To(BeTrue(), "%s: no field %q (%s)", what, f.Name, f.Tries)
				Expect(jsonvalue.Diff(got, want)).To(BeEmpty(), "%s: field %q (%s) reads back otherwise", what, f.Name, f.Tries)
			}
		}
	})

	It("answers a save with where the object is", rule("DATA-2"), func() {
		typ := target.freshType("saved")
		res := target.batch("",
			subreq.Post("/1/data/"+typ, obj{"a": 1}),
			subreq.Post("/1/data/"+typ+"?id=x", obj{"a": 1}),
			subreq.Put("/1/data/"+typ+"/x", obj{"a": 2}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), created(), 200}))
		for i, r := range res {
			id, _ := r.Body["id"].(string)
			Expect(id).NotTo(BeEmpty(), "result %d", i)
			Expect(r.Body).To(And(HaveKeyWithValue("success", true), HaveKeyWithValue("type", typ)))
			// Absolute; a server may live under a path of its host.
			Expect(r.Body["location"]).To(MatchRegexp(`^https?://[^/]+(/.*)?/1/data/%s/%s$`, regexp.QuoteMeta(typ), regexp.QuoteMeta(id)))
		}
		Expect(res[1].Body).To(HaveKeyWithValue("version", num(1)))
		Expect(res[2].Body).To(HaveKeyWithValue("version", num(2)))
	})

	It("lists every match in total and at most size of them from from on", rule("DATA-3"), func() {
		typ := target.freshType("listing")
		items := make([]any, min(7, cfg.MaxBatch))
		for i := range items {
			items[i] = subreq.Post("/1/data/"+typ, obj{"i": i})
		}
		n := len(items)
		target.batch("", items...)
		res := target.batch("",
			subreq.Get("/1/data/"+typ),
			subreq.Get("/1/data/"+typ+"?size=3"),
			subreq.Get(fmt.Sprintf("/1/data/%s?from=%d", typ, max(n-2, 0))),
			subreq.Get("/1/data/"+typ+"?from=100"),
			subreq.Get("/1/data/"+typ+"?size=0"),
			subreq.Get("/1/data?size=1"),
		).Results()
		Expect(statuses(res)).To(Equal([]int{200, 200, 200, 200, 200, 200}))
		for i, want := range []int{n, min(n, 3), min(n, 2), 0, 0} {
			Expect(res[i].Body).To(HaveKeyWithValue("total", num(n)), "listing %d", i)
			Expect(res[i].Body["results"]).To(HaveLen(want), "listing %d", i)
		}
		Expect(len(res[5].Body["results"].([]any))).To(BeNumerically("<=", 1), "GET /1/data?size=1")
		// Pages do not overlap: together they hold every object once.
		var ids []any
		for from := 0; from < n; from += 3 {
			page := target.do("GET", fmt.Sprintf("/1/data/%s?size=3&from=%d", typ, from), nil).Object()
			for _, o := range page["results"].([]any) {
				ids = append(ids, o.(obj)["meta"].(obj)["id"])
			}
		}
		Expect(ids).To(HaveLen(n))
		Expect(uniq(ids)).To(HaveLen(n))
	})

	It("knows a type once created, keeps it when emptied, and answers 404 for one never created", rule("DATA-4"), func() {
		// A type of the run's lane may be known already: the one never
		// created is another, which nothing creates.
		typ, never := target.freshType("lifecycle"), target.unknownType()
		res := target.batch("",
			subreq.Get("/1/data/"+never),
			subreq.Delete("/1/data/"+never),
			subreq.Post("/1/data/"+typ+"?id=x", obj{}),
			subreq.Get("/1/data/"+typ),
			subreq.Delete("/1/data/"+typ),
			subreq.Get("/1/data/"+typ),
			subreq.Get("/1/data/"+typ+"/x"),
		).Results()
		Expect(statuses(res)).To(Equal([]int{404, 404, created(), 200, 200, 200, 404}))
		Expect(res[3].Body).To(HaveKeyWithValue("total", num(1)))
		Expect(res[4].Body).To(And(HaveKeyWithValue("success", true), HaveKeyWithValue("status", num(200))))
		Expect(res[5].Body).To(HaveKeyWithValue("total", num(0)))
	})

	DescribeTable("rejects bad input to the data API",
		func(status int, item func(typ string) sub) {
			typ := target.freshType("badinput")
			seed(typ, "x", obj{"a": 1})
			res := target.batch("", item(typ)).Results()
			Expect(res[0].Status()).To(Equal(status))
			expectEnvelope(res[0].Body, status)
			o := target.do("GET", "/1/data/"+typ+"/x", nil).Object()
			Expect(o["meta"]).To(HaveKeyWithValue("version", num(1)), "a rejected request changed x")
		},
		Entry("a payload that is an array", rule("DATA-5"), 400, func(t string) sub { return subreq.Post("/1/data/"+t, []any{obj{}}) }),
		Entry("a payload that is a string", rule("DATA-5"), 400, func(t string) sub { return subreq.Put("/1/data/"+t+"/x", "a=1") }),
		Entry("a type name starting with a digit", rule("DATA-5"), 400, func(t string) sub { return subreq.Post("/1/data/9"+t, obj{}) }),
		Entry("a type name of 65 characters", rule("DATA-5"), 400, func(t string) sub { return subreq.Post("/1/data/t"+fmt.Sprintf("%064d", 0), obj{}) }),
		Entry("a negative from", rule("DATA-5"), 400, func(t string) sub { return subreq.Get("/1/data/" + t + "?from=-1") }),
		Entry("a size that is not a number", rule("DATA-5"), 400, func(t string) sub { return subreq.Get("/1/data/" + t + "?size=ten") }),
		// The 2016 server overwrote the object instead (CONTRACT §7).
		Entry("an id that exists", rule("DATA-5"), only(spec.Doc), 409, func(t string) sub { return subreq.Post("/1/data/"+t+"?id=x", obj{"a": 2}) }),
		Entry("a version that is not the current one", rule("DATA-5"), 409, func(t string) sub { return subreq.Put("/1/data/"+t+"/x?version=2", obj{"a": 2}) }),
	)

	It("answers a creation with 201, directly and in a batch, as the 2016 server did", rule("DATA-2"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("created")
		r := target.do("POST", "/1/data/"+typ, obj{})
		Expect(r.Status).To(Equal(http.StatusCreated))
		Expect(r.Object()).To(HaveKeyWithValue("status", num(201)))
		res := target.batch("", subreq.Post("/1/data/"+typ, obj{}), subreq.Put("/1/data/"+typ+"/"+r.Object()["id"].(string), obj{"a": 1})).Results()
		Expect(statuses(res)).To(Equal([]int{201, 200}))
	})

	It("says how long a listing took, as the 2016 server did", rule("DATA-3"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("took")
		target.do("POST", "/1/data/"+typ, obj{})
		Expect(target.do("GET", "/1/data/"+typ, nil).Object()).To(HaveKey("took"))
		res := target.batch("", subreq.Get("/1/data/"+typ)).Results()
		Expect(res[0].Body).To(HaveKey("took"))
	})

	It("generates ids of 20 URL-safe characters", rule("DATA-6"), func() {
		// URL-safe: RFC 3986's unreserved characters.
		typ := target.freshType("ids")
		items := make([]any, min(5, cfg.MaxBatch))
		for i := range items {
			items[i] = subreq.Post("/1/data/"+typ, obj{})
		}
		for _, r := range target.batch("", items...).Results() {
			Expect(r.Body["id"]).To(MatchRegexp(`^[A-Za-z0-9._~-]{20}$`))
		}
	})
})

func uniq(xs []any) map[any]bool {
	m := map[any]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}
