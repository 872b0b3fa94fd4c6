package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spacedog-oss/batchkit/mockserver/internal/rawjson"
)

// An object's fields are kept as the bytes a read answers: one compact
// JSON object, its members sorted by name, each name once, no meta. The
// values are the client's own bytes, whitespace aside, so nothing is
// decoded on a write and nothing encoded on a read; a merge works on the
// members, never on their values.

// Fields makes the stored form of a payload: a valid JSON object, whose
// meta is the object's own and never a field (DATA-1). A repeated name
// keeps its last value, as encoding/json decodes it.
func Fields(payload []byte) []byte {
	return fieldsOf(rawjson.Members(payload))
}

// merged lays the payload's members over the stored fields.
func merged(old, payload []byte) []byte {
	return fieldsOf(append(rawjson.Members(old), rawjson.Members(payload)...))
}

func fieldsOf(members []rawjson.Member) []byte {
	last := make(map[string]int, len(members))
	size := 2
	for i, m := range members {
		last[m.Name] = i
		size += len(m.Name) + len(m.Value) + 4
	}
	names := make([]string, 0, len(last))
	for name := range last {
		if name != "meta" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		writeName(b, name)
		b.WriteByte(':')
		v := members[last[name]].Value
		if err := json.Compact(b, v); err != nil {
			b.Write(v) // a valid value always compacts
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// writeName writes a member name as encoding/json writes it with HTML
// escaping off: clients get back the names they sent.
func writeName(b *bytes.Buffer, name string) {
	plain := utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return r < 0x20 || r == '"' || r == '\\' || r == '\u2028' || r == '\u2029'
	})
	if plain {
		b.WriteByte('"')
		b.WriteString(name)
		b.WriteByte('"')
		return
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(name) // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}
