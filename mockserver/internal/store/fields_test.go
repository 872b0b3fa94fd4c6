package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestFieldsAreCompactSortedOnceEachWithoutMeta(t *testing.T) {
	for in, want := range map[string]string{
		`{}`:                                     `{}`,
		` { "b" : [1, 2] , "a":{"x" : "y z"} } `: `{"a":{"x":"y z"},"b":[1,2]}`,
		`{"a":1,"meta":{"id":"x"},"a":2}`:        `{"a":2}`,
		`{"<t>":"<&>","é":"\u00e9","n":1.50e1}`:  `{"<t>":"<&>","n":1.50e1,"é":"\u00e9"}`,
		`{"q\"uote":true,"\u0061":null}`:         `{"a":null,"q\"uote":true}`,
		`{"meta":1}`:                             `{}`,
	} {
		if got := string(storedFields([]byte(in))); got != want {
			t.Errorf("storedFields(%s) = %s, want %s", in, got, want)
		}
	}
	if got := string(merged([]byte(`{"a":1,"b":2}`), []byte(`{"b":3,"c":{"d":4},"meta":{}}`))); got != `{"a":1,"b":3,"c":{"d":4}}` {
		t.Errorf("merged = %s", got)
	}
}

// The stored form reads back as the payload decodes, meta aside.
func FuzzFieldsDecodeAsThePayload(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"meta":{},"x":[1,{"y":"\u00e9"}]}`, `{"\u0000":"\ud800"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want map[string]any
		if !json.Valid([]byte(s)) || json.Unmarshal([]byte(s), &want) != nil || want == nil {
			return
		}
		delete(want, "meta")
		stored := storedFields([]byte(s))
		var got map[string]any
		if err := json.Unmarshal(stored, &got); err != nil {
			t.Fatalf("storedFields(%s) = %s, not JSON: %v", s, stored, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("storedFields(%s) = %s, decodes to %v, want %v", s, stored, got, want)
		}
	})
}
