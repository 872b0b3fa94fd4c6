package mockserver

import "testing"

// The 2016 server decoded Basic tokens with Java 8's java.util.Base64
// decoder (SpaceContext.java at a049f2de, line 244): padding optional, and
// its own words for each way a token is not base 64.
func TestJavaBase64DecodesAndFailsAsJava8(t *testing.T) {
	for _, tc := range []struct{ in, out, err string }{
		{in: "", out: ""},
		{in: "Zm9v", out: "foo"},
		{in: "Zm8=", out: "fo"},
		{in: "Zm8", out: "fo"},
		{in: "Zg==", out: "f"},
		{in: "Zg", out: "f"},
		{in: "Z", err: "Input byte[] should at least have 2 bytes for base64 bytes"},
		{in: "==", err: "Input byte array has wrong 4-byte ending unit"},
		{in: "Zg=x", err: "Input byte array has wrong 4-byte ending unit"},
		{in: "Zg=", err: "Input byte array has wrong 4-byte ending unit"},
		{in: "Zm9vY", err: "Last unit does not have enough valid bits"},
		{in: "Zg==x", err: "Input byte array has incorrect ending byte at 4"},
		{in: "!!!!", err: "Illegal base64 character 21"},
		{in: "Zm9v\n", err: "Illegal base64 character a"},
		{in: "Zm-v", err: "Illegal base64 character 2d"},
		{in: "\xc3\xa9", err: "Illegal base64 character -3d"}, // a signed byte
	} {
		out, err := javaBase64(tc.in)
		if err != tc.err || tc.err == "" && string(out) != tc.out {
			t.Errorf("javaBase64(%q) = %q, %q; want %q, %q", tc.in, out, err, tc.out, tc.err)
		}
	}
}

// Each malformed header gets SpaceContext.decodeAuthorizationHeader's
// words (SpaceContext.java at a049f2de, lines 223-261).
func TestDecodeAuthorizationSaysWhatIsMalformed(t *testing.T) {
	for _, tc := range []struct{ header, user, problem string }{
		{header: ""},
		{header: "Basic ZnJlZDpoaSBmcmVk", user: "fred"},
		{header: "bAsIc ZnJlZDpoaSBmcmVk", user: "fred"},
		{header: "Basic ZnJlZDpoaTpmcmVk", user: "fred"}, // fred:hi:fred, the password holds a colon
		{header: "Basic", problem: "invalid authorization header"},
		{header: " Basic ZnJlZDpoaSBmcmVk", problem: "no authorization scheme specified"},
		{header: "Bearer abc", problem: "authorization scheme [Bearer] not supported"},
		{header: "Basic !!!!", problem: "authorization token is not base 64 encoded"},
		{header: "Basic ZnJlZA==", problem: "invalid authorization token"},
		{header: "Basic Ong=", problem: "no username specified"},
		{header: "Basic ZnJlZDo=", problem: "no password specified"},
	} {
		user, _, p := decodeAuthorization(tc.header)
		got := ""
		if p != nil {
			got = p.message
		}
		if user != tc.user || got != tc.problem {
			t.Errorf("%q: user %q, problem %q; want %q, %q", tc.header, user, got, tc.user, tc.problem)
		}
	}
}
