package mockserver_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// streamedData fills a mock with what a state document must carry through
// unchanged: HTML characters, U+2028, escapes and non-ASCII in fields and
// in an author's name, nesting, empty values, an empty type, a backend
// without types, several backends and types.
func streamedData(t *testing.T, m *mock) {
	t.Helper()
	seed := `{
	  "default": {
	    "product": [
	      {"name": "<b>Thunder</b> & \"Buzz\"", "tags": ["a\u2028b", "é", "😀", "\\/"], "n": 1.50, "deep": {"x": [[], {}, null, true]}},
	      {},
	      {"meta": {"id": "p3", "version": 4, "createdBy": "fred", "createdAt": "2016-05-24T19:05:53.068Z"}, "price": -0.0}
	    ],
	    "order": []
	  },
	  "shop": {"duck": [{"colour": "yellow\ttoo"}]},
	  "empty": {}
	}`
	st, err := mockserver.ParseState("seed.json", []byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.srv.Load(st); err != nil {
		t.Fatal(err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("<vince>&\u2029co:pw"))
	if r := m.do("POST", "/1/data/order?id=o1", `{"note":"a > b && c < d","u":"\u00e9\u2029"}`, "Authorization", auth); r.status >= 300 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := m.do("PUT", "/1/data/order/o1", `{"extra":{"k":"<>"}}`, "Authorization", auth); r.status >= 300 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
}

// The state is streamed object by object now; it must be the document that
// encoding/json made of the whole State, byte for byte, for GET
// /_mock/state (compact) and the state file (indented).
func TestTheStreamedStateIsTheWholeDocumentByteForByte(t *testing.T) {
	for _, filled := range []bool{false, true} {
		m := newMock(t, deterministic())
		if filled {
			streamedData(t, m)
		}
		for _, backend := range []string{"", "default", "shop", "empty", "nowhere"} {
			want, err := json.Marshal(m.srv.State(backend))
			if err != nil {
				t.Fatal(err)
			}
			r := m.do("GET", "/_mock/state?backend="+backend, nil)
			if r.status != 200 || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("GET /_mock/state?backend=%s: %d %s", backend, r.status, r.header.Get("Content-Type"))
			}
			if string(r.body) != string(want) {
				t.Errorf("GET /_mock/state?backend=%s streamed:\n%s\nwhole:\n%s", backend, r.body, want)
			}
		}
		dir := t.TempDir()
		whole, streamed := filepath.Join(dir, "whole.json"), filepath.Join(dir, "streamed.json")
		if err := mockserver.WriteStateFile(whole, m.srv.State("")); err != nil {
			t.Fatal(err)
		}
		if err := m.srv.SaveStateFile(streamed); err != nil {
			t.Fatal(err)
		}
		a, b := must(os.ReadFile(whole)), must(os.ReadFile(streamed))
		if string(a) != string(b) {
			t.Errorf("the streamed state file differs from the whole one:\n%s\nwhole:\n%s", b, a)
		}
		if filled && len(b) < 500 {
			t.Errorf("the state file holds too little: %s", b)
		}
		if entries := must(os.ReadDir(dir)); len(entries) != 2 {
			t.Errorf("the folder holds %d files: a temporary file left behind", len(entries))
		}
	}
}

func TestTheMocksOwnSaveLeftoversAloneAreListed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	m := newMock(t, deterministic())
	if err := m.srv.SaveStateFile(path); err != nil {
		t.Fatal(err)
	}
	ours := []string{".state.json.save-1", ".state.json.save-4294967295"}
	others := []string{".state.json.save-", ".state.json.save-12x", ".state.json.123", ".other.json.save-1", "state.json.save-1", "notes.txt"}
	for _, name := range append(ours, others...) {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".state.json.save-7"), 0o755); err != nil { // not a file
		t.Fatal(err)
	}
	left, err := mockserver.StateFileLeftovers(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != len(ours) || filepath.Base(left[0]) != ours[0] || filepath.Base(left[1]) != ours[1] {
		t.Errorf("leftovers %q, want %q", left, ours)
	}
}
