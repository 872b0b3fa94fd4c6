package summary

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// Credential is a user whose Basic credentials a replay reads from the
// environment: a report shows the variables' names, never the values.
type Credential struct {
	Username, Password       string
	UsernameVar, PasswordVar string // names of environment variables
}

// expansion is the shell word that makes the credentials' Basic token.
func (c Credential) expansion() string {
	return fmt.Sprintf(`"$(printf '%%s' "$%s:$%s" | base64 | tr -d '\n')"`, c.UsernameVar, c.PasswordVar)
}

func (c Credential) token() string {
	return base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
}

// Limits of a replay's body: an inline --data-binary argument stays short
// enough to read and far below the kernel's limit on one argument; a
// longer body is written by a small program piped into curl, repeated runs
// folded; a body that stays longer than maxScript is not shown.
const (
	maxInline = 4 << 10
	maxScript = 32 << 10
	minRepeat = 256 // bytes a folded run must cover
	maxUnit   = 256 // the longest repeated unit looked for
)

// Curl is the exchange's request as a curl command, as every replay of
// the reports writes it.
func Curl(e exchange.Exchange, creds []Credential) string { return curl(e, creds) }

// curl writes the exchange's request as a curl command for a POSIX shell
// (with awk and base64 for the bodies that need them): the method, the
// URL as sent (no dot segments removed, no globbing), the request's
// headers and its exact body. The Basic credentials of a known user
// become its variables, in the Authorization header and inside the body
// (a batch item's headers); any other credentials are redacted. curl -i
// shows the reply's status line and headers.
func curl(e exchange.Exchange, creds []Credential) string {
	var opts []string
	if e.Method == http.MethodHead {
		opts = append(opts, "--head")
	} else {
		opts = append(opts, "-X "+word(e.Method))
	}
	line := "curl -sS -i --path-as-is -g " + strings.Join(opts, " ")
	args := []string{line}
	for _, k := range slices.Sorted(maps.Keys(e.ReqHeader)) {
		for _, v := range e.ReqHeader[k] {
			if http.CanonicalHeaderKey(k) == "Authorization" {
				args = append(args, authorization(v, creds))
				continue
			}
			args = append(args, "-H "+quote(k+": "+v))
		}
	}
	url := quote(e.URL)
	if e.ReqBody == nil {
		return strings.Join(append(args, url), " \\\n  ")
	}
	segs := segments(e.ReqBody, creds)
	if inline, ok := inlineBody(segs); ok {
		return strings.Join(append(args, "--data-binary "+inline, url), " \\\n  ")
	}
	script := bodyScript(segs)
	if len(script) > maxScript {
		return strings.Join(append(args, "--data-binary @body", url), " \\\n  ") +
			fmt.Sprintf("\n# not replayable as shown: the body (%d bytes) is too long and irregular to write here", len(e.ReqBody))
	}
	args[0] = "} | " + args[0]
	return "{ " + script + "\n" + strings.Join(append(args, "--data-binary @-", url), " \\\n  ")
}

// authorization renders an Authorization header: a known user's Basic
// credentials as its variables, any other value redacted.
func authorization(v string, creds []Credential) string {
	if scheme, token, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Basic") {
		for _, c := range creds {
			if c.Username != "" && token == c.token() {
				return fmt.Sprintf(`-u "$%s:$%s"`, c.UsernameVar, c.PasswordVar)
			}
		}
	}
	return "-H " + quote("Authorization: [redacted]")
}

// A segment is a piece of a body: text, other bytes, a unit repeated, or
// a known user's Basic token.
type segment struct {
	text  string // text, other bytes, or the unit
	bytes bool
	count int         // > 0: text repeated count times
	cred  *Credential // the token of these credentials
}

// segments splits a body at the known users' tokens, folds long repeated
// runs, and separates printable text from other bytes. Other credentials
// in an item's headers are redacted, as in a report's text.
func segments(body []byte, creds []Credential) []segment {
	var out []segment
	redacted := func(b []byte) []segment { return plain(exchange.Redact(b)) }
	for len(body) > 0 {
		at, which := -1, -1
		for i, c := range creds {
			if c.Username == "" {
				continue
			}
			if j := bytes.Index(body, []byte(c.token())); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			return append(out, redacted(body)...)
		}
		out = append(out, redacted(body[:at])...)
		out = append(out, segment{cred: &creds[which]})
		body = body[at+len(creds[which].token()):]
	}
	return out
}

// plain folds the repeated runs of b and splits the rest into text and
// other bytes.
func plain(b []byte) []segment {
	var out []segment
	start := 0
	for i := 0; i < len(b); {
		unit, count := repeatAt(b[i:])
		if count == 0 {
			i++
			continue
		}
		out = append(out, texts(b[start:i])...)
		out = append(out, segment{text: unit, count: count})
		i += len(unit) * count
		start = i
	}
	return append(out, texts(b[start:])...)
}

// repeatAt finds the longest run at the start of b of a printable unit
// repeated, covering at least minRepeat bytes; count is 0 when none.
func repeatAt(b []byte) (unit string, count int) {
	best := 0
	for l := 1; l <= maxUnit && 2*l <= len(b); l++ {
		if b[0] != b[l] {
			continue
		}
		n := 1
		for (n+1)*l <= len(b) && bytes.Equal(b[:l], b[n*l:(n+1)*l]) {
			n++
		}
		if n*l >= minRepeat && n >= 4 && n*l > best && printable(b[:l]) {
			best, unit, count = n*l, string(b[:l]), n
		}
	}
	return unit, count
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// texts splits b into runs of printable text (spaces included) and runs
// of other bytes: control characters, invalid UTF-8.
func texts(b []byte) []segment {
	var out []segment
	start, other := 0, false
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		o := (r == utf8.RuneError && size <= 1) || !unicode.IsPrint(r)
		if i > start && o != other {
			out = append(out, segment{text: string(b[start:i]), bytes: other})
			start = i
		}
		other = o
		i += size
	}
	if start < len(b) {
		out = append(out, segment{text: string(b[start:]), bytes: other})
	}
	return out
}

// inlineBody writes a short body of text and tokens as one shell word.
func inlineBody(segs []segment) (string, bool) {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case s.bytes || s.count > 0:
			return "", false
		case s.cred != nil:
			b.WriteString(s.cred.expansion())
		default:
			b.WriteString(quote(s.text))
		}
	}
	if b.Len() > maxInline {
		return "", false
	}
	if b.Len() == 0 {
		return "''", true
	}
	return b.String(), true
}

// bodyScript writes a body as commands whose output is the body.
func bodyScript(segs []segment) string {
	lines := make([]string, 0, len(segs))
	for _, s := range segs {
		switch {
		case s.cred != nil:
			lines = append(lines, "printf '%s' "+s.cred.expansion())
		case s.count > 0:
			lines = append(lines, fmt.Sprintf(`awk 'BEGIN{for(i=0;i<%d;i++)printf "%%s",ARGV[1]}' %s`, s.count, quote(s.text)))
		case s.bytes:
			var o strings.Builder
			for _, c := range []byte(s.text) {
				fmt.Fprintf(&o, `\%03o`, c)
			}
			lines = append(lines, "printf '"+o.String()+"'")
		default:
			lines = append(lines, "printf '%s' "+quote(s.text))
		}
	}
	return strings.Join(lines, "\n  ")
}

// word is s as one shell word: bare when it is safe so.
func word(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") == "" {
		return s
	}
	return quote(s)
}

// quote makes s one shell word, in single quotes.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
