package mockserver

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver/internal/store"
)

// The hand-written bodies are the bytes encoding/json writes.
func FuzzAppendStringIsEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "fred", `a"b\c`, "<&>", "\u2028\u2029", "\x00\x1f\x7f", "é\xff", "\t\n\r\b\f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendedBodiesAreEncodingJSONs(t *testing.T) {
	at := time.Date(2016, 5, 24, 19, 5, 53, 68e6, time.UTC)
	want, err := json.Marshal(struct {
		Success  bool   `json:"success"`
		Status   int    `json:"status"`
		ID       string `json:"id"`
		Type     string `json:"type"`
		Location string `json:"location"`
		Version  int64  `json:"version"`
	}{true, 201, "k<1>", "t", "http://h/1/data/t/k<1>", 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := appendSaved(nil, 201, "k<1>", "t", "http://h/1/data/t/k<1>", 3); string(got) != string(want) {
		t.Errorf("saved = %s, want %s", got, want)
	}
	s := store.New(func() string { return "x" })
	o, err := s.Backend("b").Create("t", "k", []byte(`{"a":"<1>"}`), "fréd\"", func() time.Time { return at }, false)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := json.Marshal(struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Version   int64  `json:"version"`
		CreatedBy string `json:"createdBy"`
		UpdatedBy string `json:"updatedBy"`
		CreatedAt string `json:"createdAt"`
		UpdatedAt string `json:"updatedAt"`
	}{"k", "t", 1, "fréd\"", "fréd\"", "2016-05-24T19:05:53.068Z", "2016-05-24T19:05:53.068Z"})
	if err != nil {
		t.Fatal(err)
	}
	want = []byte(`{"a":"<1>","meta":` + string(meta) + `}`)
	if got := appendObject(nil, o); string(got) != string(want) {
		t.Errorf("object = %s, want %s", got, want)
	}
}
