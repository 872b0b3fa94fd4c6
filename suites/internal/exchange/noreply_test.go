package exchange

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/spec"
)

// Each way a target fails to reply whole is a *NoReply that says what it
// did, in the wire's terms.
func TestAnExchangeWithoutAWholeReplySaysWhatTheTargetDid(t *testing.T) {
	sp, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		says    string
	}{
		{"a hang before headers", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			"no reply within 200ms"},
		{"a hang mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "120")
			w.Write([]byte("[{}"))
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
		}, "a body that stopped mid-way: 3 bytes of 120 bytes announced"},
		{"a cut connection", func(w http.ResponseWriter, r *http.Request) {
			conn, buf, _ := http.NewResponseController(w).Hijack() // HTTP/1: always hijackable
			fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n[{}")
			buf.Flush()
			conn.Close()
		}, "connection closed after 3 of 120 bytes"},
		{"a flood", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat(" ", 5000)))
		}, "a reply over 4 KiB (--max-reply)"},
		{"an HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html><head><title>502 Bad Gateway</title></head></html>"))
		}, `an HTML page, not the API's JSON: 502 titled "502 Bad Gateway"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c := &Checker{Spec: sp, Timeout: 200 * time.Millisecond, MaxReply: 4096}
			_, err := (&http.Client{Transport: c}).Get(srv.URL + "/1/data/t/a")
			var nr *NoReply
			if !errors.As(err, &nr) {
				t.Fatalf("error %v, want a NoReply", err)
			}
			if !strings.Contains(nr.Error(), tc.says) || !strings.Contains(nr.Error(), "GET "+srv.URL+"/1/data/t/a") {
				t.Errorf("%q does not name the request and say %q", nr.Error(), tc.says)
			}
			srv.CloseClientConnections()
		})
	}
}

func TestATargetThatRefusesConnectionsIsUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = (&http.Client{Transport: &Checker{Timeout: time.Second}}).Get("http://" + addr + "/1/batch")
	var nr *NoReply
	if !errors.As(err, &nr) || !nr.Unreachable || !strings.Contains(nr.What, "cannot connect") {
		t.Errorf("error %v, want an unreachable NoReply", err)
	}
}
