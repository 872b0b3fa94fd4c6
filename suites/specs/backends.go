package specs

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/backends"
)

// Backends side by side: no backend ever sees another's data (CONTRACT
// §1). Each write, direct and in a batch, is made in one backend, and the
// same type and ids in another stay as they were. Two backends are the
// run's own, named from its prefix: on a loopback target *.localhost
// names, else --backend-hosts.
var _ = Describe("A write in one backend", func() {
	// pair gives the spec two backends, each holding its type's objects
	// a and b, and empties the type in each when the spec ends.
	pair := func(name string) (one, other backendClient, typ string) {
		GinkgoHelper()
		bs, why, err := backends.Of(target.base, cfg.BackendHosts, []string{target.prefix + "a", target.prefix + "b"})
		Expect(err).NotTo(HaveOccurred())
		if why != "" {
			Skip(why)
		}
		typ = target.freshTypeIn(name, bs[0].Base, bs[1].Base)
		one, other = target.at(bs[0].Base), target.at(bs[1].Base)
		for _, b := range []backendClient{one, other} {
			for _, id := range []string{"a", "b"} {
				r := b.do("POST", "/1/data/"+typ+"?id="+id, obj{"in": b.base})
				Expect(r.Status).To(BeNumerically("<", 300), "setting up: creating %s/%s in %s answered %d: %s", typ, id, b.base, r.Status, r.Body)
			}
		}
		return one, other, typ
	}
	// untouched expects the other backend to hold a and b as they were
	// created, and its type to count them both.
	untouched := func(b backendClient, typ string) {
		GinkgoHelper()
		for _, id := range []string{"a", "b"} {
			r := b.do("GET", "/1/data/"+typ+"/"+id, nil)
			Expect(r.Status).To(Equal(http.StatusOK), "%s/%s in the other backend, %s", typ, id, b.base)
			o := r.Object()
			Expect(o).To(HaveKeyWithValue("in", b.base), "%s/%s in the other backend", typ, id)
			Expect(o["meta"]).To(HaveKeyWithValue("version", num(1)), "%s/%s in the other backend", typ, id)
		}
		l := b.do("GET", "/1/data/"+typ, nil)
		Expect(l.Status).To(Equal(http.StatusOK))
		Expect(l.Object()).To(HaveKeyWithValue("total", num(2)), "the type in the other backend")
	}

	It("creating an object, directly and in a batch, leaves another backend without it", rule("DATA-4"), func() {
		one, other, typ := pair("isocreate")
		Expect(one.do("POST", "/1/data/"+typ+"?id=c", obj{"n": 1}).Status).To(BeNumerically("<", 300))
		Expect(statuses(one.batch("", subreq.Post("/1/data/"+typ+"?id=d", obj{"n": 1})).Results())).To(Equal([]int{created()}))
		for _, id := range []string{"c", "d"} {
			Expect(other.do("GET", "/1/data/"+typ+"/"+id, nil).Status).To(Equal(http.StatusNotFound), "%s/%s in the other backend", typ, id)
		}
		untouched(other, typ)
	})

	It("creating a type leaves it unknown to another backend", rule("DATA-4"), func() {
		bs, why, err := backends.Of(target.base, cfg.BackendHosts, []string{target.prefix + "a", target.prefix + "b"})
		Expect(err).NotTo(HaveOccurred())
		if why != "" {
			Skip(why)
		}
		// The run's backends are those of the runs before it: the type
		// is one that only the first is ever given.
		typ := target.typeOfOneBackend(bs[0].Base)
		one, other := target.at(bs[0].Base), target.at(bs[1].Base)
		Expect(statuses(one.batch("", subreq.Post("/1/data/"+typ+"?id=x", obj{})).Results())).To(Equal([]int{created()}))
		Expect(other.do("GET", "/1/data/"+typ, nil).Status).To(Equal(http.StatusNotFound), "the type in the other backend")
		Expect(other.do("DELETE", "/1/data/"+typ, nil).Status).To(Equal(http.StatusNotFound), "deleting the type in the other backend")
		Expect(one.do("GET", "/1/data/"+typ+"/x", nil).Status).To(Equal(http.StatusOK))
	})

	It("updating an object, directly and in a batch, leaves another backend's of that id as it was", rule("DATA-4"), func() {
		one, other, typ := pair("isoupdate")
		Expect(one.do("PUT", "/1/data/"+typ+"/a", obj{"in": "changed"}).Status).To(Equal(http.StatusOK))
		Expect(statuses(one.batch("", subreq.Put("/1/data/"+typ+"/b?strict=true", obj{"in": "changed"})).Results())).To(Equal([]int{200}))
		untouched(other, typ)
	})

	It("deleting an object, directly and in a batch, leaves another backend's of that id", rule("DATA-4"), func() {
		one, other, typ := pair("isodelete")
		Expect(one.do("DELETE", "/1/data/"+typ+"/a", nil).Status).To(Equal(http.StatusOK))
		Expect(statuses(one.batch("", subreq.Delete("/1/data/"+typ+"/b")).Results())).To(Equal([]int{200}))
		untouched(other, typ)
	})

	It("deleting a type, directly and in a batch, leaves another backend's type of that name", rule("DATA-4"), func() {
		one, other, typ := pair("isodeltype")
		Expect(one.do("DELETE", "/1/data/"+typ, nil).Status).To(Equal(http.StatusOK))
		untouched(other, typ)
		Expect(statuses(one.batch("", subreq.Post("/1/data/"+typ+"?id=c", obj{}), subreq.Delete("/1/data/"+typ)).Results())).To(Equal([]int{created(), 200}))
		untouched(other, typ)
	})

	// DELETE /1/data deletes every object of a backend: it goes to the
	// run's own backends only, named by a template.
	It("deleting all data, directly and in a batch, leaves another backend's", rule("DATA-4"), only(spec.Doc), func() {
		bs, why, err := backends.Of(target.base, cfg.BackendHosts, []string{target.prefix + "a", target.prefix + "b"})
		Expect(err).NotTo(HaveOccurred())
		if why == "" && !bs[0].Own && !cfg.Destructive {
			Skip("sends DELETE /1/data to a backend --backend-hosts lists, whose data it would all delete: give --destructive (SPACEDOG_DESTRUCTIVE=true), or a template")
		}
		one, other, typ := pair("isodelall")
		Expect(one.do("DELETE", "/1/data", nil).Status).To(Equal(http.StatusOK))
		untouched(other, typ)
		Expect(statuses(one.batch("", subreq.Post("/1/data/"+typ+"?id=c", obj{}), subreq.Delete("/1/data")).Results())).To(Equal([]int{created(), 200}))
		untouched(other, typ)
	})
})

// A saved answer's location is the object's own URL: the scheme, host and
// port the request came to, and the path of the object there (DATA-2).
var _ = Describe("A save's location", func() {
	expectOwnURL := func(location any, base, typ, id string) {
		GinkgoHelper()
		loc, ok := location.(string)
		Expect(ok).To(BeTrue(), "location is a string: %v", location)
		want := base + "/1/data/" + typ + "/" + id
		Expect(spec.SameURL(loc, want)).To(BeTrue(), "location %q, for a request to %s: want the object's URL there, %s (scheme, host, port and path)", loc, base, want)
	}
	check := func(c backendClient, typ string) {
		GinkgoHelper()
		r := c.do("POST", "/1/data/"+typ+"?id=direct", obj{})
		Expect(r.Status).To(Equal(created()), "a creation: %s", r.Body)
		expectOwnURL(r.Object()["location"], c.base, typ, "direct")
		res := c.batch("", subreq.Post("/1/data/"+typ+"?id=batched", obj{}), subreq.Put("/1/data/"+typ+"/direct", obj{"n": 2})).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200}))
		expectOwnURL(res[0].Body["location"], c.base, typ, "batched")
		expectOwnURL(res[1].Body["location"], c.base, typ, "direct")
	}

	It("is the object's URL on the scheme, host and port the request came to, directly and in a batch", rule("DATA-2"), func() {
		check(target.at(target.base), target.freshType("location"))
	})

	It("names the backend's host the request came to", rule("DATA-2"), func() {
		bs, why, err := backends.Of(target.base, cfg.BackendHosts, []string{target.prefix + "a"})
		Expect(err).NotTo(HaveOccurred())
		if why != "" {
			Skip(why)
		}
		check(target.at(bs[0].Base), target.freshTypeIn("backendlocation", bs[0].Base))
	})
})
