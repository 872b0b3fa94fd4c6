package mockserver

import (
	"bytes"
	"net/http"

	"github.com/spacedog-oss/batchkit/spec"
)

// profile is a wire format (CONTRACT §7): the few things the doc profile and
// the spacedog-2016 profile do differently. Everything else is shared code.
type profile struct {
	name string
	// reply encodes a batch reply from its results.
	reply func(results [][]byte) []byte
	// result is a sub-request's batch result, from its response on its own.
	result func(method string, res response) []byte
	// created is the status of a creation.
	created int
	// took adds to a listing the milliseconds it took.
	took bool
	// bareMissing answers a GET of a missing object without its error.
	bareMissing bool
	// payloads are the item fields the payload is read from; with two,
	// giving both is an error (SUB-1).
	payloads []string
	// objectsOnly rejects a whole batch that holds an element that is not
	// an object, before anything runs.
	objectsOnly bool
}

func profileNamed(name string) (profile, bool) {
	switch name {
	case spec.Doc:
		return profile{
			name:     name,
			reply:    jsonArray,
			result:   func(_ string, res response) []byte { return res.body },
			created:  http.StatusOK,
			payloads: []string{"content", "body"},
		}, true
	case spec.SpaceDog2016:
		return profile{
			name: name,
			reply: func(results [][]byte) []byte {
				return append(append([]byte(`{"success":true,"status":200,"responses":`), jsonArray(results)...), '}')
			},
			result:      wrapReads,
			created:     http.StatusCreated,
			took:        true,
			bareMissing: true,
			payloads:    []string{"content"},
			objectsOnly: true,
		}, true
	}
	return profile{}, false
}

// jsonArray joins encoded JSON values into an array, in one allocation.
func jsonArray(values [][]byte) []byte {
	size := 2
	for _, v := range values {
		size += len(v) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, '[')
	for i, v := range values {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, v...)
	}
	return append(out, ']')
}

// wrapReads is the 2016 server's batch result: a successful GET's body
// inside a success envelope, any other result as it is.
func wrapReads(method string, res response) []byte {
	if method != http.MethodGet || res.status != http.StatusOK {
		return res.body
	}
	var b bytes.Buffer
	b.Grow(len(res.body) + 40)
	b.WriteString(`{"success":true,"status":200,"content":`)
	b.Write(res.body)
	b.WriteByte('}')
	return b.Bytes()
}
