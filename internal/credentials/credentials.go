// Package credentials writes and reads HTTP Basic credentials, the way
// SpaceDog took a caller's (CONTRACT §6): in an Authorization header, of a
// request or of a batch item alike. The mock reads them, the suites, the
// model and the generator write them, all here.
package credentials

import (
	"encoding/base64"
	"net/http"
)

// Basic is the Authorization header of a user's Basic credentials.
func Basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// FromHeader reads a header's Basic credentials, as net/http reads a
// request's: ok is false when there are none, or they are malformed.
func FromHeader(h http.Header) (user, password string, ok bool) {
	r := http.Request{Header: h}
	return r.BasicAuth()
}
