package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/subreq"
)

var _ = Describe("An object updated by another user than its creator", func() {
	// createdBy stays the creator's and updatedBy becomes the updater's, for
	// an update sent directly and for one in a batch the other user sends
	// (SUB-4: an item runs as the batch's caller). Only two users tell a
	// server that rewrites createdBy, or forgets updatedBy, from one that
	// does neither.
	It("keeps its creator and names its last updater, directly and in a batch", rule("DATA-1", "SUB-4"), func() {
		if cfg.Username == "" || cfg.Username2 == "" {
			Skip("needs two users: set --username, --password, --username2 and --password2 (SPACEDOG_USERNAME, ...)")
		}
		typ := target.freshType("twousers")
		seed(typ, "direct", obj{"n": 1})
		seed(typ, "batched", obj{"n": 1})

		r := target.as(cfg.Username2, cfg.Password2, "PUT", "/1/data/"+typ+"/direct", obj{"n": 2})
		Expect(r.Status).To(Equal(200), "an update sent directly by the other user: %s", r.Body)
		items := []any{subreq.Put("/1/data/"+typ+"/batched", obj{"n": 2})}
		res := target.as(cfg.Username2, cfg.Password2, "POST", "/1/batch", items).Results(items...)
		Expect(statuses(res)).To(Equal([]int{200}), "an update in the other user's batch")

		for _, id := range []string{"direct", "batched"} {
			o := target.do("GET", "/1/data/"+typ+"/"+id, nil).Object()
			Expect(o["meta"]).To(And(HaveKeyWithValue("createdBy", cfg.Username), HaveKeyWithValue("updatedBy", cfg.Username2),
				HaveKeyWithValue("version", num(2))), "object %s, created by %s, updated by %s", id, cfg.Username, cfg.Username2)
		}
	})
})
