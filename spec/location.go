package spec

import (
	"net/url"
	"strings"
)

// SameURL reports whether two absolute URLs name the same resource, as
// RFC 3986 §6.2.2 compares them: the scheme and host without regard to
// case, a scheme's default port written or not, a percent-encoded
// unreserved character (%7E for ~) as the character, hex digits in either
// case; the path otherwise exactly. A saved answer's location is judged so
// (DATA-2): a server may escape what needs no escape.
func SameURL(a, b string) bool {
	x, err1 := url.Parse(a)
	y, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && x.IsAbs() && y.IsAbs() && strings.EqualFold(x.Scheme, y.Scheme) &&
		strings.EqualFold(hostPort(x), hostPort(y)) && NormalPath(x.EscapedPath()) == NormalPath(y.EscapedPath())
}

// hostPort is a URL's host with its port, the scheme's default written out.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Host + ":443"
	case "http":
		return u.Host + ":80"
	}
	return u.Host
}

// NormalPath is an escaped path as RFC 3986 §6.2.2 normalizes it: the
// percent-encodings of unreserved characters decoded, the others' hex
// digits in capitals.
func NormalPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		hex := strings.ToUpper(p[i+1 : i+3])
		c, ok := unhex(hex)
		switch {
		case !ok:
			b.WriteByte(p[i])
			continue
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteString("%" + hex)
		}
		i += 2
	}
	return b.String()
}

func unhex(h string) (byte, bool) {
	var v byte
	for _, c := range []byte(h) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}
