// Package rawjson splits JSON documents that are known to be valid into
// their parts without decoding them: the elements of an array, the members
// of an object, as slices of the input. Callers check validity first
// (json.Valid); on invalid input the results are unspecified, but the
// functions never panic or loop.
package rawjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Member is one member of an object: its name, decoded, and its value as
// it is in the input.
type Member struct {
	Name  string
	Value []byte
}

// Elements returns the elements of a JSON array, in order; nil when the
// value is not an array.
func Elements(array []byte) [][]byte {
	i := skipSpace(array, 0)
	if i >= len(array) || array[i] != '[' {
		return nil
	}
	out := [][]byte{}
	i = skipSpace(array, i+1)
	for i < len(array) && array[i] != ']' {
		end := skipValue(array, i)
		out = append(out, array[i:end])
		i = skipSpace(array, end)
		if i < len(array) && array[i] == ',' {
			i = skipSpace(array, i+1)
		} else if i < len(array) && array[i] != ']' {
			break // not valid JSON: stop rather than guess
		}
	}
	return out
}

// Members returns the members of a JSON object, in order, repeated names
// included; nil when the value is not an object.
func Members(object []byte) []Member {
	var out []Member
	ok := Visit(object, func(name, value []byte) {
		n, _ := String(name)
		out = append(out, Member{Name: n, Value: value})
	})
	if ok && out == nil {
		out = []Member{}
	}
	return out
}

// Visit calls visit with each member of a JSON object, in order: its name
// as written (a JSON string, quotes included) and its value. It reports
// whether the value is an object. Nothing is copied or decoded.
func Visit(object []byte, visit func(name, value []byte)) bool {
	i := skipSpace(object, 0)
	if i >= len(object) || object[i] != '{' {
		return false
	}
	i = skipSpace(object, i+1)
	for i < len(object) && object[i] == '"' {
		end := skipString(object, i)
		name := object[i:end]
		i = skipSpace(object, end)
		if i >= len(object) || object[i] != ':' {
			break
		}
		i = skipSpace(object, i+1)
		end = skipValue(object, i)
		visit(name, object[i:end])
		i = skipSpace(object, end)
		if i < len(object) && object[i] == ',' {
			i = skipSpace(object, i+1)
		}
	}
	return true
}

// NameIs reports whether a member's name as written (quotes included)
// decodes to want, a valid UTF-8 name without U+FFFD: then a name written
// without escapes is want exactly when its bytes are, and nothing needs
// decoding or allocating.
func NameIs(name []byte, want string) bool {
	if len(name) >= 2 && bytes.IndexByte(name, '\\') < 0 {
		return string(name[1:len(name)-1]) == want
	}
	s, ok := String(name)
	return ok && s == want
}

// String decodes a JSON string value; ok is false when raw is not one.
func String(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if !bytes.ContainsRune(inner, '\\') && utf8.Valid(inner) {
		return string(inner), true
	}
	return s, json.Unmarshal(raw, &s) == nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at i.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value that starts at i.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && !strings.ContainsRune(",]} \t\n\r", rune(b[i])) {
		i++
	}
	return i
}
