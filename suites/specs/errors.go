package specs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

// missingID names no object: the page's own example of a missing id, its
// "-" left out, for a server may take ids of letters and digits only (the
// ids a server takes are its own choice, CONTRACT §9).
const missingID = "GVTkGHKsuJhkJMVi2ke"

var _ = Describe("Whole-batch errors", func() {
	DescribeTable("a body that is not a JSON array is rejected with 400 and nothing runs",
		func(body func(typ string) string) {
			typ := target.freshType("notarray")
			r := target.do("POST", "/1/batch", []byte(body(typ)))
			Expect(r.Status).To(Equal(http.StatusBadRequest))
			expectEnvelope(r.Object(), http.StatusBadRequest)
			Expect(target.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusNotFound))
		},
		Entry("not JSON", rule("ERR-1"), func(t string) string {
			return fmt.Sprintf(`[{"method":"POST","path":"/1/data/%s?id=x","content":{}}`, t)
		}),
		Entry("one sub-request as an object", rule("ERR-1"), func(t string) string {
			return fmt.Sprintf(`{"method":"POST","path":"/1/data/%s?id=x","content":{}}`, t)
		}),
		Entry("a string", rule("ERR-1"), func(t string) string { return `"[]"` }),
		Entry("null", rule("ERR-1"), func(t string) string { return `null` }),
		Entry("an array followed by more JSON", rule("ERR-1"), func(t string) string {
			return fmt.Sprintf(`[{"method":"POST","path":"/1/data/%s?id=x","content":{}}] []`, t)
		}),
	)

	It("answers another method on /1/batch with 405 and Allow: POST", rule("ERR-2"), func() {
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			r := target.do(method, "/1/batch", nil)
			Expect(r.Status).To(Equal(http.StatusMethodNotAllowed), method)
			Expect(r.Header.Get("Allow")).To(ContainSubstring("POST"), method)
			expectEnvelope(r.Object(), http.StatusMethodNotAllowed)
		}
	})
})

var _ = Describe("Failed sub-requests", func() {
	It("each get the error envelope with their own status, as direct requests do", rule("ERR-3"), func() {
		typ := target.freshType("envelope")
		seed(typ, "one", obj{})
		failing := []sub{
			subreq.Delete("/1/data/" + typ + "/missing"),
			subreq.Get("/1/nowhere/at/all"),
			{"method": "PATCH", "path": "/1/data/" + typ},
			subreq.Post("/1/data/"+typ, "not an object"),
			subreq.Put("/1/data/"+typ+"/one?version=9", obj{}),
		}
		res := target.batch("", append(anys(failing), sub{"path": "/1/data/" + typ})...).Results()
		Expect(statuses(res)).To(Equal([]int{404, 404, 405, 400, 409, 400}))
		for i, r := range res {
			By(fmt.Sprintf("result %d", i))
			expectEnvelope(r.Body, r.Status())
		}
		for _, s := range failing {
			method, path := s["method"].(string), s["path"].(string)
			By(fmt.Sprintf("%s %s directly", method, path))
			r := target.do(method, path, s["content"])
			expectEnvelope(r.Object(), r.Status)
		}
	})

	// The index and field are read by their structure, in whatever words
	// (CONTRACT §9): the index as a number of its own, not the 1 of a
	// path's /1/; a field as a word, outside any echo of the item. The item
	// stands at index 2, a number none of the items holds.
	DescribeTable("a malformed one fails alone with 400, naming its index and field, and the batch goes on",
		func(field string, item any) {
			typ := target.freshType("malformed")
			res := target.batch("",
				subreq.Post("/1/data/"+typ+"?id=before", obj{}),
				subreq.Post("/1/data/"+typ+"?id=between", obj{}),
				item,
				subreq.Post("/1/data/"+typ+"?id=after", obj{}),
			).Results()
			Expect(statuses(res)).To(Equal([]int{created(), created(), 400, created()}))
			msg := expectEnvelope(res[2].Body, http.StatusBadRequest)
			raw, err := json.Marshal(item)
			Expect(err).NotTo(HaveOccurred())
			Expect(spec.NamesIndex(msg, 2, raw)).To(BeTrue(), "the message %q names the item's index, 2", msg)
			if field != "" {
				Expect(spec.NamesField(msg, strings.Split(field, "|"), raw)).To(BeTrue(), "the message %q names the field at fault, %s", msg, field)
			}
			Expect(target.do("GET", "/1/data/"+typ+"/after", nil).Status).To(Equal(http.StatusOK))
		},
		// Not an object: there is no field to name.
		Entry("not an object", rule("ERR-4"), only(spec.Doc), "", []any{"GET", "/1/data"}),
		Entry("without method", rule("ERR-4"), "method", sub{"path": "/1/data"}),
		Entry("without path", rule("ERR-4"), "path", sub{"method": "GET"}),
		Entry("with an empty method", rule("ERR-4"), "method", sub{"method": "", "path": "/1/data"}),
		Entry("with a path that is not a string", rule("ERR-4"), "path", sub{"method": "GET", "path": 42}),
		Entry("with a path not starting with /", rule("ERR-4"), "path", sub{"method": "GET", "path": "1/data"}),
		Entry("with headers that are not an object", rule("ERR-4"), "headers", subreq.Get("/1/data").With("headers", "X-A: b")),
		Entry("with a header value that is not a string", rule("ERR-4"), "headers", subreq.Get("/1/data").With("headers", obj{"X-A": 1})),
		Entry("with parameters that are not an object", rule("ERR-4"), "parameters", subreq.Get("/1/data").With("parameters", []any{"size"})),
		Entry("with a parameter that is an object", rule("ERR-4"), "parameters", subreq.Get("/1/data").With("parameters", obj{"size": obj{}})),
		Entry("with both content and body", rule("ERR-4", "SUB-1"), only(spec.Doc), "content|body", subreq.Post("/1/data/x", obj{}).With("body", obj{})),
		Entry("written as the page's third item", rule("ERR-4"), "method|path", sub{"POST": "/v1/data/product", "body": obj{"name": "Mobby Dick"}}),
	)

	// The page's own third item: its message says how to write it, which
	// it does by naming the method and the path the item meant.
	It("written as the page's third item says how to write it", rule("ERR-4"), func() {
		item := sub{"POST": "/v1/data/product", "body": obj{"name": "Mobby Dick"}}
		res := target.batch("", item).Results()
		Expect(statuses(res)).To(Equal([]int{400}))
		msg := expectEnvelope(res[0].Body, http.StatusBadRequest)
		raw, err := json.Marshal(item)
		Expect(err).NotTo(HaveOccurred())
		Expect(spec.NamesRequest(msg, "POST", "/v1/data/product", raw)).To(BeTrue(),
			"the message %q says how to write the item, naming its method POST and its path /v1/data/product", msg)
	})

	// That server checked each element when its loop reached it: what ran
	// before stays (CONTRACT §7).
	It("that is not an object rejects the whole batch when reached, as the 2016 server did", rule("ERR-4"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("notobject")
		r := target.batch("", subreq.Post("/1/data/"+typ+"?id=first", obj{}), []any{"GET", "/1/data"}, subreq.Post("/1/data/"+typ+"?id=after", obj{}))
		Expect(r.Status).To(Equal(http.StatusBadRequest))
		expectEnvelope(r.Object(), http.StatusBadRequest)
		Expect(target.do("GET", "/1/data/"+typ+"/first", nil).Status).To(Equal(http.StatusOK), "what ran before it stays")
		Expect(target.do("GET", "/1/data/"+typ+"/after", nil).Status).To(Equal(http.StatusNotFound), "what comes after it must not run")
	})

	It("has no route: 404; a route without its method: 405", rule("ERR-5"), func() {
		typ := target.freshType("routes")
		res := target.batch("",
			subreq.Get("/1/nowhere"),
			subreq.Get("/2/data/"+typ),
			sub{"method": "PATCH", "path": "/1/data/" + typ + "/x"},
			sub{"method": "POST", "path": "/1/data/" + typ + "/x"},
		).Results()
		Expect(statuses(res)).To(Equal([]int{404, 404, 405, 405}))
	})

	It("is a 400 when it is a batch itself, and the nested batch does not run", rule("ERR-6"), func() {
		typ := target.freshType("nested")
		inner := []any{subreq.Post("/1/data/"+typ+"?id=inner", obj{})}
		res := target.batch("",
			sub{"method": "POST", "path": "/1/batch", "content": inner},
			sub{"method": "POST", "path": "/1/batch?stopOnError=true", "body": inner},
		).Results()
		Expect(statuses(res)).To(Equal([]int{400, 400}))
		Expect(target.do("GET", "/1/data/"+typ+"/inner", nil).Status).To(Equal(http.StatusNotFound))
	})

	It("reads a missing object or an unknown type as 404", rule("ERR-7"), func() {
		typ, never := target.freshType("known"), target.unknownType()
		seed(typ, "real", obj{})
		res := target.batch("",
			subreq.Get("/1/data/"+typ+"/"+missingID),
			subreq.Delete("/1/data/"+typ+"/"+missingID),
			subreq.Put("/1/data/"+typ+"/"+missingID, obj{"a": 1}),
			subreq.Get("/1/data/"+never+"/real"),
			subreq.Get("/1/data/"+never),
		).Results()
		Expect(statuses(res)).To(Equal([]int{404, 404, 404, 404, 404}))
	})

	// ERR-7 pins the message of a missing object; the 2016 server had words
	// of its own (CONTRACT §7).
	It("names a missing object and its type", rule("ERR-7"), only(spec.Doc), func() {
		typ := target.freshType("named")
		seed(typ, "real", obj{})
		o := "/1/data/" + typ + "/" + missingID
		res := target.batch("", subreq.Get(o), subreq.Delete(o), subreq.Put(o, obj{"a": 1})).Results()
		want := fmt.Sprintf("object [%s] of type [%s] not found", missingID, typ)
		for i, r := range res {
			Expect(expectEnvelope(r.Body, 404)).To(Equal(want), "result %d", i)
		}
	})

	It("reads a missing object as a bare failure, as the 2016 server did", rule("ERR-7"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("bare")
		seed(typ, "real", obj{})
		bare := func(body obj) {
			GinkgoHelper()
			Expect(body).To(And(HaveKeyWithValue("success", false), HaveKeyWithValue("status", num(404))))
			Expect(body).NotTo(HaveKey("error"))
		}
		bare(target.do("GET", "/1/data/"+typ+"/missing", nil).Object())
		res := target.batch("", subreq.Get("/1/data/"+typ+"/missing")).Results()
		bare(res[0].Body)
	})
})

// anys is the items as a batch takes them.
func anys(items []sub) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}
