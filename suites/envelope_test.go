package suites_test

import (
	"encoding/json"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// expectEnvelope checks the error envelope of ERR-3, for the given status,
// and returns its message.
func expectEnvelope(body obj, status int) string {
	GinkgoHelper()
	Expect(body).To(HaveKeyWithValue("success", false), "the envelope's success")
	Expect(body).To(HaveKeyWithValue("status", json.Number(strconv.Itoa(status))), "the envelope's status")
	Expect(body).To(HaveKey("error"))
	e, ok := body["error"].(map[string]any)
	Expect(ok).To(BeTrue(), "error is an object: %v", body["error"])
	Expect(e["type"]).To(BeAssignableToTypeOf(""), "error.type is a string")
	Expect(e["message"]).To(BeAssignableToTypeOf(""), "error.message is a string")
	Expect(e["message"]).NotTo(BeEmpty(), "error.message says what went wrong")
	return e["message"].(string)
}

// num is an integer as a decoded body holds it.
func num(n int) json.Number { return json.Number(strconv.Itoa(n)) }
