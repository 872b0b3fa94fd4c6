package specs

import (
	"encoding/json"
	"net/http"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/spec"
)

// expectEnvelope checks the error envelope of ERR-3, for the given status,
// and returns its message. Any other member is allowed.
func expectEnvelope(body obj, status int) string {
	GinkgoHelper()
	Expect(body).To(HaveKeyWithValue("success", false), "the envelope's success")
	Expect(body).To(HaveKeyWithValue("status", num(status)), "the envelope's status")
	Expect(body).To(HaveKey("error"))
	e, ok := body["error"].(map[string]any)
	Expect(ok).To(BeTrue(), "error is an object: %v", body["error"])
	if t, has := e["type"]; has || !typeMayLack(status) {
		Expect(t).To(BeAssignableToTypeOf(""), "error.type is a string")
	}
	Expect(e["message"]).To(BeAssignableToTypeOf(""), "error.message is a string")
	Expect(e["message"]).NotTo(BeEmpty(), "error.message says what went wrong")
	return e["message"].(string)
}

// typeMayLack: the 2016 server's route errors (no route, another method)
// had no error.type (CONTRACT §7, ERR-3).
func typeMayLack(status int) bool {
	return cfg.Profile == spec.SpaceDog2016 && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed)
}

// num is an integer as a decoded body holds it.
func num(n int) json.Number { return json.Number(strconv.Itoa(n)) }
