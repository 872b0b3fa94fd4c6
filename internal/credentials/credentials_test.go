package credentials

import (
	"net/http"
	"testing"
)

// What Basic writes, FromHeader reads back, a colon in the password too;
// a header of another scheme, or none, holds no credentials.
func TestBasicCredentialsReadBackAsWritten(t *testing.T) {
	for _, c := range [][2]string{{"fred", "secret"}, {"vince", "a:b c"}, {"é", "☃"}} {
		h := http.Header{"Authorization": {Basic(c[0], c[1])}}
		if u, p, ok := FromHeader(h); !ok || u != c[0] || p != c[1] {
			t.Errorf("%q %q read back as %q %q %v", c[0], c[1], u, p, ok)
		}
	}
	for _, v := range []string{"", "Bearer 0123", "Basic !!!"} {
		if _, _, ok := FromHeader(http.Header{"Authorization": {v}}); ok {
			t.Errorf("%q read as Basic credentials", v)
		}
	}
}
