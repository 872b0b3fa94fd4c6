package jsonvalue

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Field is a payload field a store must keep as sent, and what it tries.
type Field struct {
	Name  string
	Value json.RawMessage
	Tries string
}

// Depth and Width are how deep and how wide the range's largest values go:
// SpaceDog's own server took 20 levels (Elasticsearch's mapping depth) and
// any number of members; 100 keeps a payload far within a 1 MiB body.
const (
	Depth = 20
	Width = 100
)

// Range is the range of values a store must keep (DATA-1), one field each:
// strings with every escape, characters beyond the Basic Multilingual
// Plane, combining marks, empty strings, NUL; numbers large and small, with
// exponents and fractions, more digits than a float64 holds, negative
// zero; null in objects and arrays; nesting Depth deep, an object Width
// wide; member names unusual but legal.
func Range() []Field {
	deep, wide := "1", map[string]int{}
	for range Depth - 1 {
		deep = `{"a":` + deep + `}`
	}
	for i := range Width {
		wide[fmt.Sprintf("k%03d", i)] = i
	}
	wideJSON, _ := json.Marshal(wide)
	return []Field{
		{"escapes", raw(`"quote \" backslash \\ slash \/ tab \t line \n return \r feed \f back \b"`), "every escape JSON has"},
		{"controls", raw(`"\u0001\u001f\u007f"`), "control characters"},
		{"nul", raw(`"a\u0000b"`), "NUL inside a string"},
		{"beyondBMP", raw(`"😀 𝄞 𠀋 \ud83d\ude80"`), "characters beyond the Basic Multilingual Plane, raw and escaped"},
		{"combining", raw(`"e\u0301 é ñ\u0303"`), "combining marks, kept apart from the precomposed form"},
		{"separators", raw(`"\u2028\u2029 <&> '"`), "line and paragraph separators, HTML's characters"},
		{"rtl", raw(`"שלום مرحبا"`), "right-to-left scripts"},
		{"empty", raw(`""`), "the empty string"},
		{"long", raw(`"` + strings.Repeat("0123456789", 1000) + `"`), "10,000 characters"},
		{"zero", raw(`-0`), "negative zero"},
		{"exponent", raw(`1E+2`), "an exponent, upper case"},
		{"small", raw(`4.9e-324`), "the smallest float64 above zero"},
		{"large", raw(`1.5e308`), "near the largest float64"},
		{"bigint", raw(`123456789012345678901234567890`), "an integer beyond 64 bits"},
		{"beyond53", raw(`-9007199254740993`), "an integer a float64 cannot hold"},
		{"digits", raw(`3.14159265358979323846264338327950288`), "more digits than a float64 keeps"},
		{"fraction", raw(`0.1`), "a fraction no binary float holds"},
		{"null", raw(`null`), "null as a value"},
		{"nulls", raw(`[null, 0, "", false, [], {}, [null]]`), "null, zero and empty values in an array"},
		{"nested", raw(deep), fmt.Sprintf("objects %d deep", Depth)},
		{"wide", raw(string(wideJSON)), fmt.Sprintf("an object of %d members", Width)},
		{"", raw(`"the empty name"`), "the empty member name"},
		{" ", raw(`"a space"`), "a name that is a space"},
		{"a.b", raw(`"a dot"`), "a dot in a name"},
		{"$where", raw(`"a dollar"`), "a name as query languages spell operators"},
		{"😀", raw(`"an emoji name"`), "a name beyond the BMP"},
		{"Meta", raw(`{"id": "not meta"}`), "a name that is meta in another case: a field like any"},
		{"__proto__", raw(`{"polluted": true}`), "a name JavaScript's objects treat apart"},
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }
