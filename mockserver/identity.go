package mockserver

import (
	crand "crypto/rand"
	"encoding/base64"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// backendOf names the backend a Host addresses (CONTRACT §1): its first label
// when it ends in .localhost or has three labels or more, else def.
func backendOf(host, def string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return def
	}
	label, _, _ := strings.Cut(host, ".")
	if strings.HasSuffix(host, ".localhost") || strings.Count(host, ".") >= 2 {
		return label
	}
	return def
}

// userOf is the username of a header's Basic credentials, or anonymous.
func userOf(h http.Header) string {
	if u, _, ok := basicAuth(h); ok && u != "" {
		return u
	}
	return "anonymous"
}

// basicAuth reads a header's Basic credentials, as net/http reads them.
func basicAuth(h http.Header) (user, password string, ok bool) {
	r := http.Request{Header: h}
	return r.BasicAuth()
}

// baseURL is the scheme and host that objects' locations start with.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// RandomIDs generates ids like SpaceDog's: 20 URL-safe characters (DATA-6).
func RandomIDs() func() string {
	return func() string {
		var b [15]byte
		crand.Read(b[:]) // never fails on a supported platform
		return base64.RawURLEncoding.EncodeToString(b[:])
	}
}

// SeededIDs generates the same ids, in the same order, for the same seed:
// for replaying a session byte for byte.
func SeededIDs(seed uint64) func() string {
	var mu sync.Mutex
	src := rand.New(rand.NewPCG(seed, seed))
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		var b [15]byte
		for i := range b {
			b[i] = byte(src.Uint32())
		}
		return base64.RawURLEncoding.EncodeToString(b[:])
	}
}

// timeFormat is SpaceDog's: UTC, ISO-8601, milliseconds (DATA-1).
const timeFormat = "2006-01-02T15:04:05.000Z"

// FixedClock returns a clock that starts at t and moves step further on each
// call, for reproducible times.
func FixedClock(t time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := t
		t = t.Add(step)
		return now
	}
}
