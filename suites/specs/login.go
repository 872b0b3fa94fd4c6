package specs

import (
	"net/http"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/spec"
)

// Signing in (CONTRACT §6.1): GET /1/login and GET /1/logout check the
// caller's credentials, as the 2016 server's code did, and do nothing else.
var _ = Describe("Signing in", func() {
	success := And(HaveKeyWithValue("success", true), HaveKeyWithValue("status", num(200)))

	It("answers success to a user's credentials, on login and logout", rule("AUTH-1"), func() {
		skipWithoutCaller()
		for _, path := range []string{"/1/login", "/1/logout"} {
			r := target.do("GET", path, nil)
			Expect(r.Status).To(Equal(http.StatusOK), "GET %s: %s", path, r.Body)
			Expect(r.Object()).To(success, "GET %s", path)
		}
	})

	// MUST specs use /1/ paths alone: the aliases are a SHOULD (SUB-5).
	It("answers at the legacy /v1/ root and with a trailing slash", rule("SUB-5"), func() {
		skipWithoutCaller()
		for _, path := range []string{"/1/login/", "/v1/login", "/v1/login/", "/1/logout/", "/v1/logout", "/v1/logout/"} {
			r := target.do("GET", path, nil)
			Expect(r.Status).To(Equal(http.StatusOK), "GET %s: %s", path, r.Body)
			Expect(r.Object()).To(success, "GET %s", path)
		}
	})

	It("answers success in a batch, as on its own", rule("AUTH-1", "ORD-4"), func() {
		skipWithoutCaller()
		res := target.batch("", subreq.Get("/1/login"), subreq.Get("/1/logout")).Results()
		Expect(statuses(res)).To(Equal([]int{200, 200}))
		for i, r := range res {
			Expect(r.Body).To(success, "result %d", i)
		}
	})

	It("refuses a caller without credentials with 403, directly and in a batch", rule("AUTH-3"), func() {
		for _, path := range []string{"/1/login", "/1/logout"} {
			r := target.as("", "", "GET", path, nil)
			Expect(r.Status).To(Equal(http.StatusForbidden), "GET %s: %s", path, r.Body)
			expectSignInRefusal(r.Object(), http.StatusForbidden)
		}
		items := []any{subreq.Get("/1/login"), subreq.Get("/1/logout")}
		res := target.as("", "", "POST", "/1/batch", items).Results(items...)
		Expect(statuses(res)).To(Equal([]int{403, 403}))
		for _, r := range res {
			expectSignInRefusal(r.Body, http.StatusForbidden)
		}
	})

	// Whatever the users, these headers are malformed (SpaceContext.java at
	// a049f2de, lines 223-261).
	malformed := []string{"Bearer abc", "Basic", "Basic !!!!", "Basic ZnJlZA==" /* fred */, "Basic Ong=" /* :x */, "Basic ZnJlZDo=" /* fred: */}

	It("refuses a malformed Authorization header with 401", rule("AUTH-2"), func() {
		for _, h := range malformed {
			r := target.withAuthorization(h, "GET", "/1/login")
			Expect(r.Status).To(Equal(http.StatusUnauthorized), "Authorization: %s: %s", h, r.Body)
			expectSignInRefusal(r.Object(), http.StatusUnauthorized)
		}
	})

	It("refuses an item's malformed Authorization with 401, in its place", rule("AUTH-2", "SUB-3"), only(spec.Doc), func() {
		skipWithoutCaller()
		var items []any
		for _, h := range malformed {
			items = append(items, subreq.Get("/1/login").With("headers", obj{"Authorization": h}))
		}
		items = append(items, subreq.Get("/1/login"))
		res := target.batch("", items...).Results()
		Expect(statuses(res)).To(Equal(append(slices.Repeat([]int{401}, len(malformed)), 200)))
		for _, r := range res[:len(malformed)] {
			expectSignInRefusal(r.Body, http.StatusUnauthorized)
		}
	})

	It("signs the batch's caller in, whatever an item's own Authorization, as the 2016 server did", rule("AUTH-1", "SUB-3"), only(spec.SpaceDog2016), func() {
		skipWithoutCaller()
		res := target.batch("",
			subreq.Get("/1/login").With("headers", obj{"Authorization": "Bearer abc"}),
			subreq.Get("/1/logout").With("headers", obj{"Authorization": basicAuth(cfg.Username, cfg.Password+"-not")}),
		).Results()
		Expect(statuses(res)).To(Equal([]int{200, 200}), "credentials are the batch's, checked once")
	})

	It("refuses a wrong password or an unknown user with 401", rule("AUTH-2"), func() {
		skipUnlessUsersEnforced()
		for _, who := range [][2]string{{cfg.Username, cfg.Password + "-not"}, {target.prefix + "-nobody", cfg.Password}} {
			for _, path := range []string{"/1/login", "/1/logout"} {
				r := target.as(who[0], who[1], "GET", path, nil)
				Expect(r.Status).To(Equal(http.StatusUnauthorized), "GET %s as %s: %s", path, who[0], r.Body)
				expectSignInRefusal(r.Object(), http.StatusUnauthorized)
			}
		}
	})

	It("refuses an item's wrong password with 401, in its place", rule("AUTH-2", "SUB-3"), only(spec.Doc), func() {
		skipUnlessUsersEnforced()
		res := target.batch("",
			subreq.Get("/1/login").With("headers", obj{"Authorization": basicAuth(cfg.Username, cfg.Password+"-not")}),
			subreq.Get("/1/login"),
		).Results()
		Expect(statuses(res)).To(Equal([]int{401, 200}))
		expectSignInRefusal(res[0].Body, http.StatusUnauthorized)
	})

	It("refuses a whole batch sent with a wrong password with 401, as the 2016 server did", rule("AUTH-2"), only(spec.SpaceDog2016), func() {
		skipUnlessUsersEnforced()
		r := target.as(cfg.Username, cfg.Password+"-not", "POST", "/1/batch", []any{subreq.Get("/1/login")})
		Expect(r.Status).To(Equal(http.StatusUnauthorized), "%s", r.Body)
		expectSignInRefusal(r.Object(), http.StatusUnauthorized)
	})

	It("refuses a batch of N+1 logins whole, with 400", rule("LIM-2"), func() {
		items := slices.Repeat([]any{subreq.Get("/1/login")}, cfg.MaxBatch+1)
		r := target.do("POST", "/1/batch", items)
		Expect(r.Status).To(Equal(http.StatusBadRequest), "%s", r.Body)
		Expect(expectEnvelope(r.Object(), http.StatusBadRequest)).To(ContainSubstring(num(cfg.MaxBatch).String()), "the message names the limit")
	})

	It("answers 405 to another method than GET", rule("ERR-5"), func() {
		for _, path := range []string{"/1/login", "/1/logout"} {
			for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
				r := target.do(method, path, nil)
				Expect(r.Status).To(Equal(http.StatusMethodNotAllowed), "%s %s: %s", method, path, r.Body)
			}
		}
	})
})

// expectSignInRefusal checks that a body is a refusal; in the
// spacedog-2016 profile its class is that server's (CONTRACT §6.1). The
// envelope's every member is ERR-3's to judge, so that a defect there
// fails ERR-3, not these rules too.
func expectSignInRefusal(body obj, status int) {
	GinkgoHelper()
	Expect(body).To(HaveKeyWithValue("success", false), "a refusal")
	Expect(body).To(HaveKey("error"), "a refusal says why")
	if cfg.Profile == spec.SpaceDog2016 {
		class := map[int]string{http.StatusUnauthorized: "io.spacedog.utils.AuthenticationException",
			http.StatusForbidden: "io.spacedog.utils.ForbiddenException"}[status]
		Expect(body["error"]).To(HaveKeyWithValue("type", class), "the 2016 server's class")
	}
}

func skipWithoutCaller() {
	if cfg.Username == "" {
		Skip("needs the caller's credentials: set --username and --password (SPACEDOG_USERNAME, SPACEDOG_PASSWORD)")
	}
}

func skipUnlessUsersEnforced() {
	skipWithoutCaller()
	if !cfg.UsersEnforced {
		Skip("sends a wrong password, which a target that trusts any user (a mock with no users to enforce) accepts: give --users-enforced (SPACEDOG_USERS_ENFORCED=true) when the target checks passwords")
	}
}

// withAuthorization sends a request with the Authorization header given,
// as it is.
func (c *client) withAuthorization(value, method, path string) reply {
	GinkgoHelper()
	req, err := http.NewRequest(method, c.base+path, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", value)
	return c.exchange(req)
}
