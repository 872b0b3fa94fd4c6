package rawjson

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

var seeds = []string{
	`[]`, `[1]`, ` [ 1 , "a,]}" , {"b":[2,{"c":"\"]"}]} , null,true,false,-1.5e3 ] `,
	`{}`, `{"a":1}`, `{ "a" : [1,2] , "b\"c" : {"d":"}"} , "a":"again", "\u00e9":null }`,
	`"x"`, `12`, `[[[]],{}]`, `{"k":"\\"}`,
}

// Elements agrees with encoding/json's split of an array.
func FuzzElements(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		got := Elements(b) // must not panic, whatever the input
		var want []json.RawMessage
		if !json.Valid(b) || json.Unmarshal(b, &want) != nil || want == nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d elements, want %d", s, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("%s: element %d = %s, want %s", s, i, got[i], want[i])
			}
		}
	})
}

// Members agrees with encoding/json's split of an object, the last of a
// repeated name winning there.
func FuzzMembers(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		got := Members(b)
		var want map[string]json.RawMessage
		if !json.Valid(b) || json.Unmarshal(b, &want) != nil || want == nil {
			return
		}
		last := map[string][]byte{}
		var names []string
		for _, m := range got {
			last[m.Name] = m.Value
			names = append(names, m.Name)
		}
		if len(last) != len(want) {
			t.Fatalf("%s: members %v, want %d", s, names, len(want))
		}
		for name, v := range want {
			if !bytes.Equal(last[name], v) {
				t.Errorf("%s: member %q = %s, want %s", s, name, last[name], v)
			}
		}
	})
}

func TestString(t *testing.T) {
	for raw, want := range map[string]string{`"a"`: "a", `"a\"b"`: `a"b`, `"\u00e9"`: "é", `""`: ""} {
		if got, ok := String([]byte(raw)); !ok || got != want {
			t.Errorf("String(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`1`, `"`, `null`, `{}`} {
		if _, ok := String([]byte(raw)); ok {
			t.Errorf("String(%s) took a value that is not a string", raw)
		}
	}
	if got := Elements([]byte(`{"a":1}`)); got != nil {
		t.Errorf("Elements of an object = %q", got)
	}
	if got := Members([]byte(`[1]`)); got != nil {
		t.Errorf("Members of an array = %v", got)
	}
	if got := Elements([]byte(`[]`)); got == nil || len(got) != 0 {
		t.Errorf("Elements([]) = %v, want empty, not nil", got)
	}
	if got := slices.Collect(func(yield func(string) bool) {
		for _, m := range Members([]byte(`{"a":1,"a":2}`)) {
			yield(m.Name)
		}
	}); !slices.Equal(got, []string{"a", "a"}) {
		t.Errorf("repeated names: %v", got)
	}
}
