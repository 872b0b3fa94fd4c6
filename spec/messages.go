package spec

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// An ERR-4 message must name the malformed item's index and the field at
// fault; its other words are the server's (CONTRACT §9, the open choices).
// These read a message by that structure, never by the mock's words, and
// look past any echo of the item itself, whose own numbers and keys name
// nothing.

// NamesIndex reports whether msg names the index: as a number of its own,
// neither a digit of a longer number (10, 1.1) nor a segment of a path
// (the 1 of /1/data), outside any echo of item.
func NamesIndex(msg string, index int, item []byte) bool {
	n := regexp.QuoteMeta(strconv.Itoa(index))
	return regexp.MustCompile(`(^|[^0-9/.])` + n + `($|[^0-9/.]|\.$|\.[^0-9])`).MatchString(withoutEcho(msg, item))
}

// NamesField reports whether msg names one of fields as a word of its own,
// in any letter case, outside any echo of item.
func NamesField(msg string, fields []string, item []byte) bool {
	rest := withoutEcho(msg, item)
	for _, f := range fields {
		if regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(f) + `($|[^A-Za-z0-9_])`).MatchString(rest) {
			return true
		}
	}
	return false
}

// NamesRequest reports whether msg, saying how to write an item, names
// the method (in any letter case) and the path it meant, outside any echo
// of item: a message that only quotes the item back says nothing of how
// to write it.
func NamesRequest(msg, method, path string, item []byte) bool {
	rest := withoutEcho(msg, item)
	return strings.Contains(strings.ToUpper(rest), strings.ToUpper(method)) && strings.Contains(rest, path)
}

// withoutEcho is msg with the item taken out where it quotes it: as sent,
// compacted, or spaced after its colons and commas.
func withoutEcho(msg string, item []byte) string {
	item = bytes.TrimSpace(item)
	if len(item) < 2 || item[0] != '{' && item[0] != '[' {
		return msg // a scalar's echo is not told apart from the words around it
	}
	forms := []string{string(item)}
	var compact bytes.Buffer
	if json.Compact(&compact, item) == nil {
		c := compact.String()
		forms = append(forms, c, strings.NewReplacer(`":`, `": `, `,"`, `, "`).Replace(c))
	}
	for _, f := range forms {
		msg = strings.ReplaceAll(msg, f, " ")
	}
	return msg
}
