package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// response is what an operation answers: a status and a JSON body. A
// sub-request's response is its result in the batch reply, unchanged.
type response struct {
	status int
	body   []byte
	allow  []string // methods of the path, for a 405's Allow header
	drop   bool     // a fault: close the connection instead of answering
}

// errorTypes names the server-side exception behind each status, as
// SpaceDog's envelopes did.
var errorTypes = map[int]string{
	http.StatusBadRequest:            "java.lang.IllegalArgumentException",
	http.StatusUnauthorized:          "io.spacedog.services.AuthenticationException",
	http.StatusNotFound:              "io.spacedog.services.NotFoundException",
	http.StatusMethodNotAllowed:      "io.spacedog.services.MethodNotAllowedException",
	http.StatusConflict:              "io.spacedog.services.ConflictException",
	http.StatusRequestEntityTooLarge: "io.spacedog.services.PayloadTooLargeException",
}

type envelope struct {
	Success bool       `json:"success"`
	Status  int        `json:"status"`
	Error   *errorBody `json:"error,omitempty"`
}

type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// failure is the error envelope (ERR-3) with a message saying what is wrong.
func failure(status int, format string, args ...any) response {
	typ := errorTypes[status]
	if typ == "" {
		typ = "java.lang.RuntimeException"
	}
	msg := fmt.Sprintf(format, args...)
	return response{status: status, body: encode(envelope{Status: status, Error: &errorBody{Type: typ, Message: msg}})}
}

// done is the body of a successful delete.
func done() response {
	return response{status: http.StatusOK, body: encode(envelope{Success: true, Status: http.StatusOK})}
}

// encode marshals the mock's own replies: plain structs that cannot fail.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("mockserver: encode %T: %v", v, err))
	}
	return b
}

func (res response) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if len(res.allow) > 0 {
		h.Set("Allow", strings.Join(res.allow, ", "))
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}
