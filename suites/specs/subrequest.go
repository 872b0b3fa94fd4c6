package specs

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/credentials"
	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

var _ = Describe("Sub-request fields", func() {
	It("take the payload from content or from body, and refuse both", rule("SUB-1"), only(spec.Doc), func() {
		typ := target.freshType("payload")
		res := target.batch("",
			sub{"method": "POST", "path": "/1/data/" + typ + "?id=c", "content": obj{"via": "content"}},
			sub{"method": "POST", "path": "/1/data/" + typ + "?id=b", "body": obj{"via": "body"}},
			sub{"method": "PUT", "path": "/1/data/" + typ + "/b", "body": obj{"more": true}},
			sub{"method": "POST", "path": "/1/data/" + typ + "?id=both", "content": obj{}, "body": obj{}},
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), created(), 200, 400}))
		Expect(target.do("GET", "/1/data/"+typ+"/c", nil).Object()).To(HaveKeyWithValue("via", "content"))
		Expect(target.do("GET", "/1/data/"+typ+"/b", nil).Object()).To(And(HaveKeyWithValue("via", "body"), HaveKeyWithValue("more", true)))
		Expect(target.do("GET", "/1/data/"+typ+"/both", nil).Status).To(Equal(http.StatusNotFound))
	})

	It("take the payload from content only, ignoring body, as the 2016 server did", rule("SUB-1"), only(spec.SpaceDog2016), func() {
		typ := target.freshType("payload")
		res := target.batch("",
			sub{"method": "POST", "path": "/1/data/" + typ + "?id=b", "body": obj{"via": "body"}},
			sub{"method": "POST", "path": "/1/data/" + typ + "?id=both", "content": obj{"via": "content"}, "body": obj{"via": "body"}},
		).Results()
		Expect(statuses(res)).To(Equal([]int{400, created()}))
		Expect(target.do("GET", "/1/data/"+typ+"/b", nil).Status).To(Equal(http.StatusNotFound))
		Expect(target.do("GET", "/1/data/"+typ+"/both", nil).Object()).To(HaveKeyWithValue("via", "content"))
	})

	It("pass parameters as query parameters, winning over the path's own", rule("SUB-2"), func() {
		typ := target.freshType("params")
		res := target.batch("",
			subreq.Post("/1/data/"+typ, obj{"a": 1, "b": 1}).With("parameters", obj{"id": "p1"}),
			subreq.Post("/1/data/"+typ+"?id=ignored", obj{}).With("parameters", obj{"id": "p2"}),
			subreq.Put("/1/data/"+typ+"/p1", obj{"a": 2}).With("parameters", obj{"strict": true, "version": 1}),
			subreq.Put("/1/data/"+typ+"/p1", obj{"a": 3}).With("parameters", obj{"version": 1}),
			subreq.Get("/1/data/"+typ+"?size=50").With("parameters", obj{"size": 1, "from": "1"}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), created(), 200, 409, 200}))
		Expect(res[0].Body).To(HaveKeyWithValue("id", "p1"))
		Expect(res[1].Body).To(HaveKeyWithValue("id", "p2"))
		Expect(target.do("GET", "/1/data/"+typ+"/ignored", nil).Status).To(Equal(http.StatusNotFound))
		p1 := target.do("GET", "/1/data/"+typ+"/p1", nil).Object()
		Expect(p1).To(HaveKeyWithValue("a", num(2)))
		Expect(p1).NotTo(HaveKey("b"), "strict=true replaces every field")
		Expect(res[4].Body).To(HaveKeyWithValue("total", num(2)))
		Expect(res[4].Body["results"]).To(HaveLen(1))
	})

	// The 2016 server ran every item with the batch's credentials, whatever
	// an item's own Authorization (CONTRACT §7): who creates is no witness there.
	It("pass headers, overriding the batch's for that sub-request alone", rule("SUB-3"), only(spec.Doc), func() {
		if cfg.Username2 == "" {
			Skip("needs a second user: set --username2 and --password2 (SPACEDOG_USERNAME2, SPACEDOG_PASSWORD2)")
		}
		typ := target.freshType("headers")
		other := credentials.Basic(cfg.Username2, cfg.Password2)
		res := target.batch("",
			subreq.Post("/1/data/"+typ+"?id=mine", obj{}),
			subreq.Post("/1/data/"+typ+"?id=theirs", obj{}).With("headers", obj{"authorization": other}),
			subreq.Post("/1/data/"+typ+"?id=mine2", obj{}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), created(), created()}))
		for id, by := range map[string]string{"mine": cfg.Username, "theirs": cfg.Username2, "mine2": cfg.Username} {
			o := target.do("GET", "/1/data/"+typ+"/"+id, nil).Object()
			Expect(o["meta"]).To(HaveKeyWithValue("createdBy", by), id)
		}
	})

	It("run every item as the batch's caller, whatever its own Authorization, as the 2016 server did", rule("SUB-3"), only(spec.SpaceDog2016), func() {
		if cfg.Username2 == "" {
			Skip("needs a second user: set --username2 and --password2 (SPACEDOG_USERNAME2, SPACEDOG_PASSWORD2)")
		}
		typ := target.freshType("headers")
		res := target.batch("",
			subreq.Post("/1/data/"+typ+"?id=theirs", obj{}).With("headers", obj{"authorization": credentials.Basic(cfg.Username2, cfg.Password2)}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created()}))
		o := target.do("GET", "/1/data/"+typ+"/theirs", nil).Object()
		Expect(o["meta"]).To(HaveKeyWithValue("createdBy", cfg.Username), "credentials are the batch's, checked once")
	})

	It("run with the batch caller's credentials", rule("SUB-4"), func() {
		if cfg.Username == "" {
			Skip("needs the caller's credentials: set --username and --password (SPACEDOG_USERNAME, SPACEDOG_PASSWORD)")
		}
		typ := target.freshType("caller")
		res := target.batch("",
			subreq.Post("/1/data/"+typ+"?id=x", obj{}),
			subreq.Put("/1/data/"+typ+"/x", obj{"a": 1}),
			subreq.Get("/1/data/"+typ+"/x"),
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200, 200}))
		Expect(res[2].Body["meta"]).To(And(HaveKeyWithValue("createdBy", cfg.Username), HaveKeyWithValue("updatedBy", cfg.Username)))
	})

	It("accept a method in any case, the legacy /v1/ root and a trailing slash", rule("SUB-5"), func() {
		typ := target.freshType("legacy")
		res := target.batch("",
			sub{"method": "post", "path": "/v1/data/" + typ + "/?id=a", "content": obj{}},
			sub{"method": "Get", "path": "/1/data/" + typ + "/a/"},
			sub{"method": "gEt", "path": "/v1/data/" + typ + "/a"},
			sub{"method": "delete", "path": "/v1/data/" + typ + "/a/"},
		).Results()
		Expect(statuses(res)).To(Equal([]int{created(), 200, 200, 200}))
	})
})
