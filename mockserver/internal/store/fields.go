package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/spacedog-oss/batchkit/mockserver/internal/rawjson"
)

// An object's fields are kept as the bytes a read answers: one compact
// JSON object, its members sorted by name, each name once, no meta. The
// values are the client's own bytes, whitespace aside, so nothing is
// decoded on a write and nothing encoded on a read; a merge works on the
// members, never on their values.

// storedFields makes the stored form of a payload: a valid JSON object, whose
// meta is the object's own and never a field (DATA-1). A repeated name
// keeps its last value, as encoding/json decodes it.
func storedFields(payload []byte) []byte {
	return fieldsOf(members(nil, payload))
}

// merged lays the payload's members over the stored fields.
func merged(old, payload []byte) []byte {
	return fieldsOf(members(members(nil, old), payload))
}

// member is a member of an object: its name decoded, as bytes, and its value.
type member struct{ name, value []byte }

func members(out []member, object []byte) []member {
	rawjson.Visit(object, func(name, value []byte) {
		n := name[1 : len(name)-1]
		if bytes.IndexByte(n, '\\') >= 0 || !utf8.Valid(n) {
			s, _ := rawjson.String(name)
			n = []byte(s)
		}
		out = append(out, member{n, value})
	})
	return out
}

func fieldsOf(ms []member) []byte {
	// Sorted by name, a name's members stay in their order: the last of a
	// run is the one kept.
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(a.name, b.name) })
	size := 2
	for _, m := range ms {
		size += len(m.name) + len(m.value) + 4
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.WriteByte('{')
	for i, m := range ms {
		if i+1 < len(ms) && bytes.Equal(ms[i+1].name, m.name) || string(m.name) == "meta" {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeName(b, m.name)
		b.WriteByte(':')
		if err := json.Compact(b, m.value); err != nil {
			b.Write(m.value) // a valid value always compacts
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// writeName writes a member name as encoding/json writes it with HTML
// escaping off: clients get back the names they sent.
func writeName(b *bytes.Buffer, name []byte) {
	plain := utf8.Valid(name) && !bytes.ContainsFunc(name, func(r rune) bool {
		return r < 0x20 || r == '"' || r == '\\' || r == '\u2028' || r == '\u2029'
	})
	if plain {
		b.WriteByte('"')
		b.Write(name)
		b.WriteByte('"')
		return
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(string(name)) // a string always encodes
	b.Truncate(b.Len() - 1)  // Encode's newline
}
