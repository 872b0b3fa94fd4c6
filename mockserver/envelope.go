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
	allow  []string    // methods of the path, for a 405's Allow header
	header http.Header // headers written as they are: a proxied reply's own, or a profile's
	drop   bool        // a fault: close the connection instead of answering
	fault  bool        // a fault rule answered, not the operation
}

type envelope struct {
	Success bool       `json:"success"`
	Status  int        `json:"status"`
	Error   *errorBody `json:"error,omitempty"`
}

type errorBody struct {
	Type    string `json:"type,omitempty"` // none on a 2016 route error
	Message string `json:"message"`
}

// failure is the error envelope (ERR-3), typed as in the doc profile, for
// the admin routes, which are the mock's own and outside any profile.
func failure(status int, format string, args ...any) response {
	return failureOf(status, docErrorType(status), fmt.Sprintf(format, args...))
}

// failureOf is the error envelope with its exception type and message.
func failureOf(status int, typ, msg string) response {
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
	for k, v := range res.header { // a proxied reply's, or a profile's own
		h[k] = v
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// send writes the response, or for a dropped one closes the connection:
// net/http answers nothing when a handler panics with ErrAbortHandler.
func (res response) send(w http.ResponseWriter) {
	if res.drop {
		panic(http.ErrAbortHandler)
	}
	res.write(w)
}
