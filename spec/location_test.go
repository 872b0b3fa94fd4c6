package spec

import "testing"

func TestURLsAreComparedAsRFC3986Says(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"http://h:8080/1/data/t/x.y~z", "http://h:8080/1/data/t/x.y%7Ez", true},
		{"http://h:8080/1/data/t/x.y~z", "http://h:8080/1/data/t/x.y%7ez", true},
		{"HTTP://H.Example:80/1/data/t/a", "http://h.example/1/data/t/a", true},
		{"https://h/1/data/t/%c3%a9", "https://h/1/data/t/%C3%A9", true},
		{"https://h:443/1/data/t/a", "https://h/1/data/t/a", true},
		{"https://h/1/data/t/a%2Fb", "https://h/1/data/t/a/b", false},
		{"http://h/1/data/t/a", "https://h/1/data/t/a", false},
		{"http://h:8080/1/data/t/a", "http://h:8081/1/data/t/a", false},
		{"http://localhost:8080/1/data/t/a", "http://b.localhost:8080/1/data/t/a", false},
		{"/1/data/t/a", "/1/data/t/a", false},
		{"http://h/1/data/t/a%", "http://h/1/data/t/a%", false},
	} {
		if got := SameURL(c.a, c.b); got != c.same {
			t.Errorf("SameURL(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
