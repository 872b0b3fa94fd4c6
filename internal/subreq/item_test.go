package subreq

import (
	"encoding/json"
	"testing"
)

func TestItemsMarshalAsTheContractSpellsThem(t *testing.T) {
	for _, tc := range []struct {
		it   Item
		want string
	}{
		{Get("/1/data/t/a"), `{"method":"GET","path":"/1/data/t/a"}`},
		{Delete("/1/data/t"), `{"method":"DELETE","path":"/1/data/t"}`},
		{Post("/1/data/t", map[string]int{"n": 1}), `{"content":{"n":1},"method":"POST","path":"/1/data/t"}`},
		{Put("/1/data/t/a", nil).With("body", 2), `{"body":2,"content":null,"method":"PUT","path":"/1/data/t/a"}`},
	} {
		got, err := json.Marshal(tc.it)
		if err != nil || string(got) != tc.want {
			t.Errorf("%v: %s %v, want %s", tc.it, got, err, tc.want)
		}
	}
}

func TestWithLeavesTheItemItWasMadeFrom(t *testing.T) {
	base := Get("/1/data")
	changed := base.With("method", "DELETE").With("headers", map[string]string{"X": "y"})
	if base["method"] != "GET" || len(base) != 2 {
		t.Errorf("the base item changed: %v", base)
	}
	if changed["method"] != "DELETE" || changed["headers"] == nil {
		t.Errorf("the copy: %v", changed)
	}
}
