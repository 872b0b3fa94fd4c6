package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spacedog-oss/batchkit/mockserver/internal/store"
)

// Responses: what an operation answers and how it is written, the error
// envelope, and the bodies every request answers, written by hand.

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

// The bodies every request answers, written straight into one buffer: the
// bytes encoding/json would write for the same structs (a test holds them
// equal), without its reflection.

// appendSaved writes the reply to a create or an update (DATA-2).
func appendSaved(b []byte, status int, id, typ, location string, version int64) []byte {
	b = append(b, `{"success":true,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"location":`...)
	b = appendString(b, location)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, version, 10)
	return append(b, '}')
}

// appendObject writes an object as read back: its fields, then its meta
// (DATA-1).
func appendObject(b []byte, o *store.Object) []byte {
	f := o.FieldsJSON() // an object: "{...}"
	b = append(b, f[:len(f)-1]...)
	if len(f) > 2 {
		b = append(b, ',')
	}
	b = append(b, `"meta":{"id":`...)
	b = appendString(b, o.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, o.Type)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, o.Version, 10)
	b = append(b, `,"createdBy":`...)
	b = appendString(b, o.CreatedBy)
	b = append(b, `,"updatedBy":`...)
	b = appendString(b, o.UpdatedBy)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, o.CreatedAt.Time())
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, o.UpdatedAt.Time())
	return append(b, "}}"...)
}

// timeFormat is SpaceDog's: UTC, ISO-8601, milliseconds (DATA-1).
const timeFormat = "2006-01-02T15:04:05.000Z"

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, timeFormat)
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string, escaped as encoding/json escapes
// it by default: HTML characters, U+2028 and U+2029 as \u escapes, and
// invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
