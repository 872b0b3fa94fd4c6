package specs

import (
	"fmt"
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

// The replies of SpaceDog's 2016 server that CONTRACT §7 pins, class and
// words included: clients built against that server parse them. Where the
// doc profile answers otherwise, its spec is here too, unless another file
// has it (DATA-5's 409 and ERR-7's words are in data.go and
// errors.go).
var _ = Describe("A server in the spacedog-2016 profile", func() {
	const (
		notFound         = "io.spacedog.utils.NotFoundException"
		runtimeException = "java.lang.RuntimeException"
		illegalArgument  = "java.lang.IllegalArgumentException"
	)

	It("names the class of a missing object it was asked to update, io.spacedog.utils.NotFoundException", rule("ERR-7"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("notfound")
		seed(typ, "real", obj{})
		path := "/1/data/" + typ + "/missing"
		want := fmt.Sprintf("object [missing] of type [%s] not found", typ)
		r := target.do("PUT", path, obj{"a": 1})
		Expect(r.Status).To(Equal(http.StatusNotFound))
		expectError(r.Object(), http.StatusNotFound, notFound, Equal(want))
		res := target.batch("", subreq.Put(path, obj{"a": 1})).Results()
		expectError(res[0].Body, http.StatusNotFound, notFound, Equal(want))
		Expect(target.do("GET", path, nil).Status).To(Equal(http.StatusNotFound), "an update created the object")
	})

	It("refuses bad input as a java.lang.IllegalArgumentException", rule("DATA-5", "ERR-4"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("illegal")
		r := target.do("POST", "/1/data/"+typ, []any{obj{}})
		Expect(r.Status).To(Equal(http.StatusBadRequest))
		expectError(r.Object(), http.StatusBadRequest, illegalArgument, Not(BeEmpty()))
		res := target.batch("", subreq.Post("/1/data/"+typ, []any{obj{}}), sub{"path": "/1/data/" + typ}).Results()
		Expect(statuses(res)).To(Equal([]int{400, 400}))
		for i, r := range res {
			By(fmt.Sprintf("result %d", i))
			expectError(r.Body, http.StatusBadRequest, illegalArgument, Not(BeEmpty()))
		}
	})

	It("refuses a batch over the limit as a java.lang.RuntimeException, batch are limited to N sub requests, and runs none of it", rule("LIM-2"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("limited")
		items := make([]any, cfg.MaxBatch+1)
		for i := range items {
			items[i] = subreq.Post(fmt.Sprintf("/1/data/%s?id=n%d", typ, i), obj{})
		}
		r := target.batch("", items...)
		Expect(r.Status).To(Equal(http.StatusBadRequest))
		expectError(r.Object(), http.StatusBadRequest, runtimeException,
			Equal(fmt.Sprintf("batch are limited to %d sub requests", cfg.MaxBatch)))
		for _, id := range []string{"n0", fmt.Sprintf("n%d", cfg.MaxBatch)} {
			Expect(target.do("GET", "/1/data/"+typ+"/"+id, nil).Status).To(Equal(http.StatusNotFound), "%s was created", id)
		}
	})

	It("answers a DELETE of a missing object with a java.lang.RuntimeException, object of type [T] and id [ID] not found", rule("ERR-7"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("deletemissing")
		seed(typ, "real", obj{})
		path := "/1/data/" + typ + "/" + missingID
		want := fmt.Sprintf("object of type [%s] and id [%s] not found", typ, missingID)
		r := target.do("DELETE", path, nil)
		Expect(r.Status).To(Equal(http.StatusNotFound))
		expectError(r.Object(), http.StatusNotFound, runtimeException, Equal(want))
		res := target.batch("", subreq.Delete(path)).Results()
		expectError(res[0].Body, http.StatusNotFound, runtimeException, Equal(want))
		Expect(target.do("GET", "/1/data/"+typ+"/real", nil).Status).To(Equal(http.StatusOK))
	})

	It("answers no route and another method with a message and no type, naming the path and the method as the request wrote them", rule("ERR-5", "ERR-3"), only(spec.SpaceDog2016), func() {
		typ := seededType("routeerror")
		nowhere, object := "/1/nowhere/"+typ, "/1/data/"+typ+"/k"
		notValid := func(path string) string { return fmt.Sprintf("[%s] not a valid path", path) }
		notFor := func(method, path string) string {
			return fmt.Sprintf("method [%s] not valid for path [%s]", method, path)
		}
		By("directly: the path without its query")
		for _, tc := range []struct {
			method, path string
			status       int
			message      func(shown string) string
		}{
			{"GET", nowhere + "?x=1", http.StatusNotFound, notValid},
			{"PATCH", object, http.StatusMethodNotAllowed, func(p string) string { return notFor("PATCH", p) }},
			{"PUT", "/1/data/" + typ, http.StatusMethodNotAllowed, func(p string) string { return notFor("PUT", p) }},
		} {
			r := target.do(tc.method, tc.path, nil)
			Expect(r.Status).To(Equal(tc.status), "%s %s", tc.method, tc.path)
			expectRouteError(r.Object(), tc.status, BeElementOf(asServerSees(tc.path, tc.message)))
		}
		By("in a batch: the item's path, query included, and its method, as given")
		res := target.batch("",
			subreq.Get(nowhere+"?x=1"),
			sub{"method": "patch", "path": object},
			sub{"method": "PUT", "path": "/1/data/" + typ},
		).Results()
		Expect(statuses(res)).To(Equal([]int{404, 405, 405}))
		expectRouteError(res[0].Body, http.StatusNotFound, Equal(notValid(nowhere+"?x=1")))
		expectRouteError(res[1].Body, http.StatusMethodNotAllowed, Equal(notFor("patch", object)))
		expectRouteError(res[2].Body, http.StatusMethodNotAllowed, Equal(notFor("PUT", "/1/data/"+typ)))
		expectUntouched(typ)
	})

	It("overwrites the object of an id in use with 201: the next version, and the new fields only", rule("DATA-5"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("overwrite")
		seed(typ, "x", obj{"a": 1})
		path := "/1/data/" + typ + "/x"
		r := target.do("POST", "/1/data/"+typ+"?id=x", obj{"b": 2})
		Expect(r.Status).To(Equal(http.StatusCreated), "a POST of an id in use: %s", r.Body)
		Expect(r.Object()).To(And(HaveKeyWithValue("status", num(201)), HaveKeyWithValue("id", "x"), HaveKeyWithValue("version", num(2))))
		o := target.do("GET", path, nil).Object()
		Expect(o).To(HaveKeyWithValue("b", num(2)))
		Expect(o).NotTo(HaveKey("a"), "the object is replaced whole")
		Expect(o["meta"]).To(HaveKeyWithValue("version", num(2)))

		res := target.batch("", subreq.Post("/1/data/"+typ+"?id=x", obj{"c": 3}), subreq.Get(path)).Results()
		Expect(statuses(res)).To(Equal([]int{201, 200}))
		Expect(res[0].Body).To(And(HaveKeyWithValue("status", num(201)), HaveKeyWithValue("version", num(3))))
		Expect(res[1].Body).To(HaveKeyWithValue("c", num(3)))
		Expect(res[1].Body).NotTo(Or(HaveKey("a"), HaveKey("b")), "the object is replaced whole")
		Expect(res[1].Body["meta"]).To(HaveKeyWithValue("version", num(3)))
	})

	It("counts the objects a DELETE of a type deleted in totalDeleted", rule("DATA-4"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("counted")
		seed(typ, "a", obj{})
		seed(typ, "b", obj{})
		r := target.do("DELETE", "/1/data/"+typ, nil)
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(r.Object()).To(And(HaveKeyWithValue("success", true), HaveKeyWithValue("status", num(200)), HaveKeyWithValue("totalDeleted", num(2))))
		res := target.batch("", subreq.Post("/1/data/"+typ+"?id=c", obj{}), subreq.Delete("/1/data/"+typ), subreq.Delete("/1/data/"+typ)).Results()
		Expect(statuses(res)).To(Equal([]int{201, 200, 200}))
		Expect(res[1].Body).To(HaveKeyWithValue("totalDeleted", num(1)))
		Expect(res[2].Body).To(HaveKeyWithValue("totalDeleted", num(0)), "an emptied type is still known")
	})

	// A server that gets this wrong may delete every object of its backend:
	// it runs alone, and goes to a live target only when allowed.
	It("answers DELETE /1/data with a bare 501 and deletes nothing", rule("DATA-4"), only(spec.SpaceDog2016), Serial, func() {
		skipUnlessMayDeleteAll()
		typ := seededType("notimplemented")
		bare := func(body obj) {
			GinkgoHelper()
			Expect(body).To(And(HaveKeyWithValue("success", false), HaveKeyWithValue("status", num(501))))
			Expect(body).NotTo(HaveKey("error"))
		}
		r := target.do("DELETE", "/1/data", nil)
		Expect(r.Status).To(Equal(http.StatusNotImplemented))
		bare(r.Object())
		res := target.batch("", subreq.Delete("/1/data"), subreq.Get("/1/data/"+typ+"/k")).Results()
		Expect(statuses(res)).To(Equal([]int{501, 200}))
		bare(res[0].Body)
		expectUntouched(typ)
	})
})

var _ = Describe("A server in the doc profile", func() {
	// It deletes every object of the backend: it runs alone, and goes to a
	// live target only when allowed.
	It("deletes every object with DELETE /1/data, and the types stay known", rule("DATA-4"), only(spec.Doc), Serial, func() {
		skipUnlessMayDeleteAll()
		typ := target.freshType("deleteall")
		seed(typ, "x", obj{})
		r := target.do("DELETE", "/1/data", nil)
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(r.Object()).To(And(HaveKeyWithValue("success", true), HaveKeyWithValue("status", num(200))))
		res := target.batch("", subreq.Post("/1/data/"+typ+"?id=y", obj{}), subreq.Delete("/1/data"), subreq.Get("/1/data/"+typ+"/y"), subreq.Get("/1/data/"+typ)).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200, 404, 200}))
		Expect(res[3].Body).To(HaveKeyWithValue("total", num(0)))
		Expect(target.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusNotFound))
	})
})

// skipUnlessMayDeleteAll skips a spec that sends DELETE /1/data to a
// target not given --destructive.
func skipUnlessMayDeleteAll() {
	if !cfg.MayDeleteAll() {
		Skip("sends DELETE /1/data, which deletes every object of a doc-profile backend (and of a server that gets the spacedog-2016 profile wrong): give --destructive (SPACEDOG_DESTRUCTIVE=true) to send it to a live target")
	}
}

// expectError checks an error envelope: its status, its exact class, and
// its message.
func expectError(body obj, status int, class string, message types.GomegaMatcher) {
	GinkgoHelper()
	msg := expectEnvelope(body, status)
	Expect(body["error"]).To(HaveKeyWithValue("type", class), "the error's class")
	Expect(msg).To(message, "the error's message")
}

// expectRouteError checks the 2016 server's answer to no route or another
// method: an error with a message and no type.
func expectRouteError(body obj, status int, message types.GomegaMatcher) {
	GinkgoHelper()
	msg := expectEnvelope(body, status)
	Expect(body["error"]).NotTo(HaveKey("type"), "a route error has no class")
	Expect(msg).To(message, "the route error's message")
}

// asServerSees is a direct request's message as the server may word it,
// for its path without the query: from where the target's URL ends, or,
// when that URL has a path, from the root of its host.
func asServerSees(path string, message func(shown string) string) []string {
	u, err := url.Parse(target.base)
	Expect(err).NotTo(HaveOccurred())
	p, _ := url.Parse(path)
	out := []string{message(p.Path)}
	if u.Path != "" {
		out = append(out, message(u.Path+p.Path))
	}
	return out
}
