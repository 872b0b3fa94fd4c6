// Package jsonvalue reads JSON values as the contract does, and holds the
// range of them a store must keep (DATA-1: an object reads back as its own
// fields, every string, number and nesting as sent).
//
// Two values are equal when they are the same JSON value: strings by their
// characters (no normalization: é and e + U+0301 differ), numbers by their
// exact decimal value (1E+2 is 100, and 0.1 is not 0.1000000000000000055),
// objects by their members whatever their order, arrays element by
// element.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Decode reads one JSON value, numbers kept as written (json.Number).
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// Equal reports whether two decoded values are the same JSON value.
func Equal(a, b any) bool { return Diff(a, b) == "" }

// Diff says where two decoded values differ, as a JSON pointer and the two
// values there; "" when they are the same JSON value.
func Diff(a, b any) string { return diff("", a, b) }

func diff(at string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return differ(at, a, b)
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			yv, ok := y[k]
			if !ok {
				return fmt.Sprintf("%s: a member %q, missing", at, k)
			}
			if d := diff(at+"/"+escape(k), x[k], yv); d != "" {
				return d
			}
		}
		for _, k := range slices.Sorted(maps.Keys(y)) {
			if _, ok := x[k]; !ok {
				return fmt.Sprintf("%s: no member %q, one given", at, k)
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return differ(at, a, b)
		}
		for i := range x {
			if d := diff(at+"/"+strconv.Itoa(i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		if y, ok := b.(json.Number); !ok || !sameNumber(x, y) {
			return differ(at, a, b)
		}
		return ""
	case float64: // decoded without UseNumber: compared as written by Go
		if y, ok := b.(float64); ok && x == y {
			return ""
		}
		return differ(at, a, b)
	}
	if a != b {
		return differ(at, a, b)
	}
	return ""
}

func differ(at string, a, b any) string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if at == "" {
		at = "/"
	}
	return fmt.Sprintf("%s: %s, not %s", at, ja, jb)
}

func escape(k string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(k) }

// sameNumber compares two JSON numbers by their exact value.
func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, ok1 := new(big.Rat).SetString(string(a))
	y, ok2 := new(big.Rat).SetString(string(b))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// Members are a JSON object's members by their exact names, as the
// contract spells them (a struct would let encoding/json read "Version" or
// "VERSION" for version); nil for any other value.
func Members(raw []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}
