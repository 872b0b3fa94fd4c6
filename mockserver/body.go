package mockserver

import (
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
)

// bodyChunk is the most a body's buffer takes ahead of the body's bytes. A
// body of unknown length, or longer, is read in chunks of this size and
// joined once it is all in: a client announcing a large body and sending it
// slowly costs what it sent, not what it announced, and leaves no outgrown
// buffers behind as it goes.
const bodyChunk = 4 << 10

// readBody reads a request body of at most max bytes: in one allocation when
// the client said a length under bodyChunk, else chunk by chunk.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil { // a request made in process, not by net/http's server
		return nil, nil
	}
	body := http.MaxBytesReader(nil, r.Body, max)
	exact := r.ContentLength >= 0 && r.ContentLength < bodyChunk
	size := int64(bodyChunk)
	if exact {
		size = r.ContentLength + 1 // +1: room to see EOF
	}
	var chunks [][]byte
	for {
		chunk := make([]byte, size)
		n, err := fill(body, chunk)
		chunks = append(chunks, chunk[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		size = bodyChunk
	}
	if exact && len(chunks) == 1 {
		return chunks[0], nil
	}
	return slices.Concat(chunks...), nil // one copy, of the body's length
}

// fill reads into b until b is full, or the reader ends (io.EOF) or fails.
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// bodyFailure is the reply to a body that could not be read, typed as
// the profile's server typed it.
func (p profile) bodyFailure(err error) response {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return p.failure(http.StatusRequestEntityTooLarge, "request body is over the limit of %d bytes", tooBig.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return p.failure(http.StatusRequestTimeout, "request body: not all of it arrived before the read deadline")
	}
	return p.failure(http.StatusBadRequest, "cannot read the request body: %v", err)
}
