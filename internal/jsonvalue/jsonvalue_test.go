package jsonvalue

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValuesAreComparedAsJSONValues(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{`1E+2`, `100`, true},
		{`-0`, `0`, true},
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2.0],"a":1}`, true},
		{`"\u00e9"`, `"é"`, true},
		{`0.1`, `0.1000000000000000055511151231257827`, false},
		{`123456789012345678901234567890`, `123456789012345678901234567000`, false},
		{`-9007199254740993`, `-9007199254740992`, false},
		{`"é"`, `"e\u0301"`, false},
		{`"😀"`, `"?"`, false},
		{`{"a":null}`, `{}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`{"Meta":1}`, `{"meta":1}`, false},
	} {
		a, err := Decode([]byte(c.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode([]byte(c.b))
		if err != nil {
			t.Fatal(err)
		}
		if got := Equal(a, b); got != c.same {
			t.Errorf("Equal(%s, %s) = %v (%s)", c.a, c.b, got, Diff(a, b))
		}
	}
}

// Every value of the range is valid JSON, each name once, and the range
// as one object stays within a 1 MiB body.
func TestTheRangeIsValidJSONWithinABody(t *testing.T) {
	obj := map[string]json.RawMessage{}
	for _, f := range Range() {
		if !json.Valid(f.Value) {
			t.Errorf("%q: not JSON: %.80s", f.Name, f.Value)
		}
		if _, dup := obj[f.Name]; dup {
			t.Errorf("%q twice", f.Name)
		}
		obj[f.Name] = f.Value
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 64<<10 || !strings.Contains(string(b), `"Meta"`) {
		t.Errorf("the range as one object: %d bytes", len(b))
	}
}

// Members are read by their exact names: "Version" is not "version".
func TestMembersAreReadByTheirExactNames(t *testing.T) {
	m := Members([]byte(`{"Version":1,"version":2}`))
	if string(m["version"]) != "2" || string(m["Version"]) != "1" || len(m) != 2 {
		t.Errorf("members %v", m)
	}
	if m := Members([]byte(`{"Version":1}`)); m["version"] != nil {
		t.Errorf("version read from Version: %s", m["version"])
	}
	for _, raw := range []string{`[1]`, `"a"`, `null`, `{`} {
		if m := Members([]byte(raw)); len(m) != 0 {
			t.Errorf("%s: members %v", raw, m)
		}
	}
}
