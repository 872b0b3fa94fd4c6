package defect

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The broken targets: servers that misbehave on the wire as real ones do on
// bad days, on every batch request (POST /1/batch); every other request
// reaches the wrapped handler as it is, so that specs set up and clean up.
// Each waits, when it waits, until the client gives up (the request's
// context ends), so that a test server closes without waiting for it: a
// handler reads the request's body first, for net/http notices a closed
// connection only once the body is read.

// isBatchPost is the batch request, by any alias, as IsBatch reads it.
func isBatchPost(r *http.Request) bool {
	return r.Method == http.MethodPost && IsBatch(r.URL.Path)
}

// onBatch answers batches with misbehave, anything else with next.
func onBatch(misbehave func(next http.Handler, w http.ResponseWriter, r *http.Request)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !isBatchPost(r) {
				next.ServeHTTP(w, r)
				return
			}
			misbehave(next, w, r)
		})
	}
}

// HangBeforeHeaders takes a batch and never answers: no status, no
// header, as a validating proxy that cannot parse a body and never replies.
func HangBeforeHeaders() func(http.Handler) http.Handler {
	return onBatch(func(_ http.Handler, _ http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

// HangOnBodiesNotJSON never answers a batch whose body is not JSON, and
// answers every other as the wrapped handler does: a validating proxy (Prism
// was seen to) that hangs on the one kind of body it cannot parse.
func HangOnBodiesNotJSON() func(http.Handler) http.Handler {
	return onBatch(func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		if json.Valid(readBody(r)) { // readBody leaves the body to be read again
			next.ServeHTTP(w, r)
			return
		}
		<-r.Context().Done()
	})
}

// HangMidBody answers a batch's status and headers, with the length of the
// real reply, and half of its body; then nothing more.
func HangMidBody() func(http.Handler) http.Handler {
	return onBatch(func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		a := Record(next, r)
		body := a.Body
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(a.Status)
		w.Write(body[:len(body)/2])
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	})
}

// Trickle answers a batch's real reply one byte every interval, with its
// length announced: a body that is on its way, but never in time.
func Trickle(interval time.Duration) func(http.Handler) http.Handler {
	return onBatch(func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		a := Record(next, r)
		body := a.Body
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(a.Status)
		rc := http.NewResponseController(w)
		rc.Flush()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := range body {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			if _, err := w.Write(body[i : i+1]); err != nil || rc.Flush() != nil {
				return
			}
		}
	})
}

// HugeBody answers a batch with 200 and a JSON array of size bytes, its
// length announced: a reply of gigabytes, written until the client stops
// reading.
func HugeBody(size int64) func(http.Handler) http.Handler {
	return onBatch(func(_ http.Handler, w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.WriteHeader(http.StatusOK)
		chunk := []byte("[" + strings.Repeat(`{"n":0},`, 8191))
		for written := int64(0); written < size; {
			n := min(int64(len(chunk)), size-written)
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			written += n
			chunk[0] = ' '
		}
	})
}

// CutConnection answers a batch's status, headers and the real reply's
// length, then 3 bytes of its body, and closes the connection.
func CutConnection() func(http.Handler) http.Handler {
	return onBatch(func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		a := Record(next, r)
		body := a.Body
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			a.Status, http.StatusText(a.Status), len(body))
		buf.Write(body[:min(3, len(body))])
		buf.Flush()
	})
}

// EndlessChunks answers a batch with 200 and a chunked body that never
// ends: chunk after chunk of array items, until the client stops reading.
func EndlessChunks() func(http.Handler) http.Handler {
	return onBatch(func(_ http.Handler, w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		bw := bufio.NewWriterSize(w, 4096)
		bw.WriteString("[")
		for r.Context().Err() == nil {
			if _, err := bw.WriteString(`{"success":true,"status":200},`); err != nil {
				return
			}
			if bw.Buffered() > 3500 && (bw.Flush() != nil || rc.Flush() != nil) {
				return
			}
		}
	})
}

// RedirectLoop answers a batch with a 307 to the very URL it was sent to.
func RedirectLoop() func(http.Handler) http.Handler {
	return onBatch(func(_ http.Handler, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
}

// RedirectAway answers a batch with a 307 to the same path on another
// base URL: a client that follows it sends its request, credentials and
// all, to a server no one asked it to judge.
func RedirectAway(base string) func(http.Handler) http.Handler {
	return onBatch(func(_ http.Handler, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.TrimSuffix(base, "/")+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
}

// HTMLPage answers a batch with a 502 HTML page, as a reverse proxy does
// whose backend is down.
func HTMLPage() func(http.Handler) http.Handler {
	return onBatch(func(_ http.Handler, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	})
}

// CreatedAtWithoutMillis writes every createdAt of a reply, batch results
// included, without its milliseconds (2016-05-24T19:05:53Z): one DATA-1
// slip that every reply carrying an object shows.
func CreatedAtWithoutMillis() func(http.Handler) http.Handler {
	return EditReply(func(_ *http.Request, status int, body []byte) (int, []byte) {
		return status, createdAtMillis.ReplaceAll(body, []byte(`"createdAt":"$1Z"`))
	})
}

var createdAtMillis = regexp.MustCompile(`"createdAt"\s*:\s*"([0-9T:-]+)\.[0-9]{3}Z"`)
