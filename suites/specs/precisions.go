package specs

import (
	"encoding/json"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/spacedog-oss/batchkit/internal/subreq"
)

// The precisions of CONTRACT §9: where sections 3 to 6 left room, the
// contract settles it, each precision under the rule it belongs to. Every
// spec here works on its own type holding object k, {"a": 1}, and checks
// that a refused request left k as it was.
var _ = Describe("Precisions", func() {
	DescribeTable("an encoded slash stays inside its segment: a request acts on the object its path names, or on none",
		func(v via, method, path string, body any) {
			typ := seededType("slash")
			status, _ := v.send(method, inType(path, typ), body)
			// §9 pins it: the id k/ (or the type T/k) is not a valid one, 400,
			// and k is never reached.
			Expect(status).To(Equal(http.StatusBadRequest), "the status of %s %s", method, path)
			expectUntouched(typ)
		},
		Entry("DELETE k%2F, directly", rule("SEC-1"), direct, "DELETE", "/1/data/{T}/k%2F", nil),
		Entry("DELETE k%2F, in a batch", rule("SEC-1"), batched, "DELETE", "/1/data/{T}/k%2F", nil),
		Entry("DELETE k%2f, in a batch", rule("SEC-1"), batched, "DELETE", "/1/data/{T}/k%2f", nil),
		Entry("GET k%2F, directly", rule("SEC-1"), direct, "GET", "/1/data/{T}/k%2F", nil),
		Entry("GET k%2F, in a batch", rule("SEC-1"), batched, "GET", "/1/data/{T}/k%2F", nil),
		Entry("PUT k%2F, in a batch", rule("SEC-1"), batched, "PUT", "/1/data/{T}/k%2F", obj{"a": 2}),
		Entry("DELETE TYPE%2Fk, directly", rule("SEC-1"), direct, "DELETE", "/1/data/{T}%2Fk", nil),
		Entry("DELETE TYPE%2Fk, in a batch", rule("SEC-1"), batched, "DELETE", "/1/data/{T}%2Fk", nil),
	)

	DescribeTable("a backslash in a path, raw or encoded, is refused with 400",
		func(v via, method, path string) {
			typ := seededType("backslash")
			status, _ := v.send(method, inType(path, typ), nil)
			Expect(status).To(Equal(http.StatusBadRequest), "the status of %s %q", method, path)
			expectUntouched(typ)
		},
		Entry("/\\host/..., in a batch", rule("SEC-1"), batched, "DELETE", `/\localhost/1/data/{T}/k`),
		Entry("a trailing backslash, in a batch", rule("SEC-1"), batched, "DELETE", `/1/data/{T}/k\`),
		Entry("%5C, in a batch", rule("SEC-1"), batched, "DELETE", "/1/data/{T}/k%5C"),
		Entry("%5c, in a batch", rule("SEC-1"), batched, "DELETE", "/1/data/{T}/k%5c"),
		Entry("/%5Chost/..., in a batch", rule("SEC-1"), batched, "GET", "/%5Clocalhost/1/data/{T}/k"),
		Entry("%5C, directly", rule("SEC-1"), direct, "DELETE", "/1/data/{T}/k%5C"),
		Entry("a raw trailing backslash, directly", rule("SEC-1"), rawLine, "DELETE", `/1/data/{T}/k\`),
		Entry("a raw /\\host/..., directly", rule("SEC-1"), rawLine, "GET", `/\localhost/1/data/{T}/k`),
	)

	// The items are written as raw JSON: the order of their keys is part
	// of the case (a decoder that matches names in any case lets the last
	// one win).
	DescribeTable("an item's field names are exact: another case is an unknown field, ignored",
		func(item string, status types.GomegaMatcher, then func(typ string)) {
			typ := seededType("fields")
			seed(typ, "other", obj{"a": 1})
			res := target.batch("", json.RawMessage(inType(item, typ))).Results()
			Expect(res).To(HaveLen(1))
			Expect(res[0].Status()).To(status, "the result: %s", res[0].Raw)
			then(typ)
		},
		Entry("METHOD and PATH are not method and path: a 400, and nothing runs", rule("ERR-4"),
			`{"METHOD":"DELETE","PATH":"/1/data/{T}/k"}`, Equal(400), expectUntouched),
		Entry("Method and Path neither", rule("ERR-4"),
			`{"Method":"DELETE","Path":"/1/data/{T}/k"}`, Equal(400), expectUntouched),
		Entry("Method after method does not override it", rule("ERR-4"),
			`{"method":"GET","path":"/1/data/{T}/k","Method":"DELETE"}`, Equal(200), expectUntouched),
		Entry("Method before method does not override it", rule("ERR-4"),
			`{"METHOD":"DELETE","method":"GET","path":"/1/data/{T}/k"}`, Equal(200), expectUntouched),
		Entry("Path after path does not override it", rule("ERR-4"),
			`{"method":"DELETE","path":"/1/data/{T}/other","Path":"/1/data/{T}/k"}`, Equal(200), func(typ string) {
				expectUntouched(typ)
				Expect(target.do("GET", "/1/data/"+typ+"/other", nil).Status).To(Equal(http.StatusNotFound), "other was not deleted")
			}),
		Entry("Content after content does not override it", rule("ERR-4"),
			`{"method":"PUT","path":"/1/data/{T}/k","content":{"b":2},"Content":{"a":3}}`, Equal(200), expectFields(obj{"a": num(1), "b": num(2)})),
		Entry("CONTENT before content does not override it", rule("ERR-4"),
			`{"CONTENT":{"a":3},"method":"PUT","path":"/1/data/{T}/k","content":{"b":2}}`, Equal(200), expectFields(obj{"a": num(1), "b": num(2)})),
		Entry("Parameters are not parameters", rule("ERR-4"),
			`{"method":"PUT","path":"/1/data/{T}/k","content":{"b":2},"Parameters":{"version":9}}`, Equal(200), expectFields(obj{"a": num(1), "b": num(2)})),
		// No payload: refused (DATA-5 says 400; this spec judges only
		// that Content was not read as the payload).
		Entry("Content alone is no payload", rule("ERR-4"),
			`{"method":"POST","path":"/1/data/{T}?id=n","Content":{"a":1}}`, is4xx(), func(typ string) {
				Expect(target.do("GET", "/1/data/"+typ+"/n", nil).Status).To(Equal(http.StatusNotFound), "n was created")
			}),
	)

	DescribeTable("a nested batch is a 400 whatever its method or alias, before the method is looked at",
		func(method, path string) {
			typ := seededType("nesting")
			inner := []any{subreq.Delete("/1/data/" + typ + "/k")}
			res := target.batch("", sub{"method": method, "path": path, "content": inner}).Results()
			Expect(res).To(HaveLen(1))
			Expect(res[0].Status()).To(Equal(http.StatusBadRequest), "the result of %s %s: %s", method, path, res[0].Raw)
			expectUntouched(typ)
		},
		Entry("GET /1/batch", rule("ERR-6"), "GET", "/1/batch"),
		Entry("DELETE /v1/batch/", rule("ERR-6"), "DELETE", "/v1/batch/"),
		Entry("PUT /1/batch/", rule("ERR-6"), "PUT", "/1/batch/"),
		Entry("PATCH /1/batch", rule("ERR-6"), "PATCH", "/1/batch"),
		Entry("HEAD /1/batch", rule("ERR-6"), "HEAD", "/1/batch"),
		Entry("get /v1/batch", rule("ERR-6"), "get", "/v1/batch"),
		Entry("FROB /1/batch?stopOnError=true", rule("ERR-6"), "FROB", "/1/batch?stopOnError=true"),
		Entry("POST /v1/batch", rule("ERR-6"), "POST", "/v1/batch"),
	)

	DescribeTable("a method that is not an HTTP token makes a malformed sub-request: 400",
		func(method string) {
			typ := seededType("token")
			res := target.batch("", sub{"method": method, "path": "/1/data/" + typ + "/k"}).Results()
			Expect(res).To(HaveLen(1))
			Expect(res[0].Status()).To(Equal(http.StatusBadRequest), "the result of method %q", method)
			expectUntouched(typ)
		},
		Entry("with a space inside", rule("ERR-4"), "DEL ETE"),
		Entry("G E T", rule("ERR-4"), "G E T"),
		Entry("with CR LF after it", rule("ERR-4"), "DELETE\r\n"),
		Entry("with LF after it", rule("ERR-4"), "DELETE\n"),
		Entry("with CR LF before it", rule("ERR-4"), "\r\nDELETE"),
		Entry("with a leading space", rule("ERR-4"), " DELETE"),
		Entry("with a trailing space", rule("ERR-4"), "DELETE "),
		Entry("with a tab inside", rule("ERR-4"), "DEL\tETE"),
		Entry("with a NUL", rule("ERR-4"), "DELETE\x00"),
		Entry("with a DEL", rule("ERR-4"), "DELETE\x7f"),
		Entry("empty", rule("ERR-4"), ""),
	)

	DescribeTable("a valid method token that the route does not allow is a 405, as a direct request gets",
		func(v via, method, path string) {
			typ := seededType("verb")
			status, _ := v.send(method, inType(path, typ), nil)
			Expect(status).To(Equal(http.StatusMethodNotAllowed), "the status of %s %s", method, path)
			expectUntouched(typ)
		},
		Entry("PATCH on an object, in a batch", rule("ERR-5"), batched, "PATCH", "/1/data/{T}/k"),
		Entry("PURGE on an object, in a batch", rule("ERR-5"), batched, "PURGE", "/1/data/{T}/k"),
		Entry("POST on an object, in a batch", rule("ERR-5"), batched, "POST", "/1/data/{T}/k"),
		Entry("PUT on a type, in a batch", rule("ERR-5"), batched, "PUT", "/1/data/{T}"),
		Entry("X-FROB on a type, in a batch", rule("ERR-5"), batched, "X-FROB", "/1/data/{T}"),
		Entry("PURGE on an object, directly", rule("ERR-5"), direct, "PURGE", "/1/data/{T}/k"),
		Entry("PATCH on a type, directly", rule("ERR-5"), direct, "PATCH", "/1/data/{T}"),
	)

	DescribeTable("from and size above 2^31-1 get 400",
		func(v via, path string, parameters obj) {
			typ := seededType("bounds")
			path = inType(path, typ)
			var status int
			if parameters != nil {
				res := target.batch("", subreq.Get(path).With("parameters", parameters)).Results()
				Expect(res).To(HaveLen(1))
				status = res[0].Status()
			} else {
				status, _ = v.send("GET", path, nil)
			}
			Expect(status).To(Equal(http.StatusBadRequest), "the status of GET %s %v", path, parameters)
		},
		Entry("size=2147483648, directly", rule("DATA-5"), direct, "/1/data/{T}?size=2147483648", nil),
		Entry("size=2147483648, in a batch", rule("DATA-5"), batched, "/1/data/{T}?size=2147483648", nil),
		Entry("from=2147483648, in a batch", rule("DATA-5"), batched, "/1/data/{T}?from=2147483648", nil),
		Entry("size=4294967296 (0 in 32 bits), in a batch", rule("DATA-5"), batched, "/1/data/{T}?size=4294967296", nil),
		Entry("from=4294967297 (1 in 32 bits), directly", rule("DATA-5"), direct, "/1/data/{T}?from=4294967297", nil),
		Entry("size beyond 64 bits, directly", rule("DATA-5"), direct, "/1/data/{T}?size=99999999999999999999999", nil),
		Entry("from beyond 64 bits, in a batch", rule("DATA-5"), batched, "/1/data/{T}?from=18446744073709551616", nil),
		Entry("size=2147483648 in all types' listing, in a batch", rule("DATA-5"), batched, "/1/data?size=2147483648", nil),
		Entry("size 2147483648 as a parameter", rule("DATA-5"), batched, "/1/data/{T}", obj{"size": 2147483648}),
		Entry("from 2147483648 as a parameter", rule("DATA-5"), batched, "/1/data/{T}", obj{"from": "2147483648"}),
	)

	It("takes from and size up to 2^31-1", rule("DATA-5"), func() {
		typ := seededType("bounds")
		for _, v := range []via{direct, batched} {
			status, all := v.send("GET", "/1/data/"+typ+"?size=2147483647", nil)
			Expect(status).To(Equal(http.StatusOK), "size=2147483647 %s", v)
			Expect(all).To(HaveKeyWithValue("total", num(1)))
			Expect(all["results"]).To(HaveLen(1))
			status, none := v.send("GET", "/1/data/"+typ+"?from=2147483647", nil)
			Expect(status).To(Equal(http.StatusOK), "from=2147483647 %s", v)
			Expect(none).To(HaveKeyWithValue("total", num(1)))
			Expect(none["results"]).To(BeEmpty())
		}
	})

	DescribeTable("a version that is not a positive integer gets 400, a positive one that is not the current one 409",
		func(v via, query string, parameters obj, status int) {
			typ := seededType("version")
			path := "/1/data/" + typ + "/k" + query
			got := 0
			if parameters != nil {
				res := target.batch("", subreq.Put(path, obj{"a": 2}).With("parameters", parameters)).Results()
				Expect(res).To(HaveLen(1))
				got = res[0].Status()
			} else {
				got, _ = v.send("PUT", path, obj{"a": 2})
			}
			Expect(got).To(Equal(status), "the status of PUT %s %v", path, parameters)
			expectUntouched(typ)
		},
		Entry("version=0, in a batch", rule("DATA-5"), batched, "?version=0", nil, 400),
		Entry("version=0, directly", rule("DATA-5"), direct, "?version=0", nil, 400),
		Entry("version=-1, in a batch", rule("DATA-5"), batched, "?version=-1", nil, 400),
		Entry("version=x, directly", rule("DATA-5"), direct, "?version=x", nil, 400),
		Entry("version=1.5, in a batch", rule("DATA-5"), batched, "?version=1.5", nil, 400),
		Entry("version 0 as a parameter", rule("DATA-5"), batched, "", obj{"version": 0}, 400),
		Entry("version -1 as a parameter", rule("DATA-5"), batched, "", obj{"version": -1}, 400),
		Entry("version \"x\" as a parameter", rule("DATA-5"), batched, "", obj{"version": "x"}, 400),
		Entry("version=2, directly", rule("DATA-5"), direct, "?version=2", nil, 409),
		Entry("version=2, in a batch", rule("DATA-5"), batched, "?version=2", nil, 409),
		Entry("version 2147483648 as a parameter", rule("DATA-5"), batched, "", obj{"version": 2147483648}, 409),
	)
})

// via is how a request reaches the target: on its own, or as the only item
// of a batch.
type via string

const (
	direct  via = "directly"
	batched via = "in a batch"
	rawLine via = "directly, its path unescaped on the request line"
)

// send sends the request and returns its status and its body as the
// request on its own answers it (nil when that is not a JSON object).
func (v via) send(method, path string, body any) (int, obj) {
	GinkgoHelper()
	switch v {
	case batched:
		item := sub{"method": method, "path": path}
		if body != nil {
			item["content"] = body
		}
		res := target.batch("", item).Results()
		Expect(res).To(HaveLen(1))
		return res[0].Status(), res[0].Body
	case rawLine:
		Expect(body).To(BeNil())
		r := target.raw(method, path)
		return r.Status, r.objectOrNil()
	}
	r := target.do(method, path, body)
	return r.Status, r.objectOrNil()
}

// inType writes a path or an item of the case for the spec's own type.
func inType(s, typ string) string { return strings.ReplaceAll(s, "{T}", typ) }

// seededType is a fresh type holding object k, {"a": 1}.
func seededType(name string) string {
	GinkgoHelper()
	typ := target.freshType(name)
	seed(typ, "k", obj{"a": 1})
	return typ
}

// expectUntouched checks that object k of the type is as seeded.
func expectUntouched(typ string) {
	GinkgoHelper()
	r := target.do("GET", "/1/data/"+typ+"/k", nil)
	Expect(r.Status).To(Equal(http.StatusOK), "k is gone")
	o := r.Object()
	Expect(o).To(HaveKeyWithValue("a", num(1)), "k was changed: %s", r.Body)
	Expect(o["meta"]).To(HaveKeyWithValue("version", num(1)), "k was changed: %s", r.Body)
}

// expectFields returns a check that object k has the given fields.
func expectFields(want obj) func(typ string) {
	return func(typ string) {
		GinkgoHelper()
		o := target.do("GET", "/1/data/"+typ+"/k", nil).Object()
		for k, v := range want {
			Expect(o).To(HaveKeyWithValue(k, v), "k: %v", o)
		}
		Expect(o).NotTo(HaveKeyWithValue("a", num(3)), "a field of another case was read")
	}
}
