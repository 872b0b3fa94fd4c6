package spec

import "testing"

// The index and field are read by structure: other words and notations
// pass, a message that names them only inside its echo of the item, or
// only as a path's segment, does not.
func TestAnItemsMessageIsReadByItsStructure(t *testing.T) {
	item := []byte(`{"method":"GET","path":"/1/data","headers":{"X-A":1}}`)
	for _, c := range []struct {
		msg   string
		index bool
		field bool
	}{
		{`batch item [1]: field [headers] is not an object of strings`, true, true},
		{`Item #1 has bad Headers.`, true, true},
		{`sub-request 1: "headers" must map names to strings`, true, true},
		{`index=1 field=headers`, true, true},
		{`bad item: {"method":"GET","path":"/1/data","headers":{"X-A":1}}`, false, false},
		{`bad item: {"method": "GET", "path": "/1/data", "headers": {"X-A": 1}}`, false, false},
		{`GET /1/data refused`, false, false},
		{`item 10 is bad`, false, false},
		{`item 21: headerless`, false, false},
		{`version 1.1 of the item is unsupported`, false, false},
		{`Refused: the item 1.`, true, false},
	} {
		if got := NamesIndex(c.msg, 1, item); got != c.index {
			t.Errorf("NamesIndex(%q, 1) = %v, want %v", c.msg, got, c.index)
		}
		if got := NamesField(c.msg, []string{"headers"}, item); got != c.field {
			t.Errorf("NamesField(%q, headers) = %v, want %v", c.msg, got, c.field)
		}
	}
	if !NamesIndex(`batch item [1]: must be a JSON object, not a number`, 1, []byte(`1`)) {
		t.Error("an item that is a number: its echo is not told apart, the index is read")
	}
	if !NamesField(`item [0]: PATH missing`, []string{"method", "path"}, nil) {
		t.Error("one of two fields at fault is named")
	}
	for msg, want := range map[string]bool{
		`batch item [2]: looks like a method: write {"method": "POST", "path": "/v1/data/product"}`:  true,
		`item 2: write {"method":"post","path":"/v1/data/product"}`:                                  true,
		`item 2: a key looks like a method; use "method" and "path"`:                                 false,
		`item 2: write {"method":"POST","path":"/1/data/product"}`:                                   false,
		`item 2: field [method] missing in {"POST":"/v1/data/product","body":{"name":"Mobby Dick"}}`: false,
	} {
		if got := NamesRequest(msg, "POST", "/v1/data/product", []byte(`{"POST":"/v1/data/product","body":{"name":"Mobby Dick"}}`)); got != want {
			t.Errorf("NamesRequest(%q) = %v, want %v", msg, got, want)
		}
	}
}
