package defect

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// ServeMock serves a mock of the profile ("" for the default) behind wrap
// (nil: the mock as it is) until t ends: the server a test judges.
func ServeMock(t testing.TB, profile string, wrap Middleware) *httptest.Server {
	t.Helper()
	mock, err := mockserver.New(mockserver.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = mock
	if wrap != nil {
		h = wrap(mock)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
