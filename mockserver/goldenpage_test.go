package mockserver_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/spec"
)

var update = flag.Bool("update", false, "rewrite the golden replies under fixtures/")

// pageMock is a deterministic mock in the state the reference page's example
// assumes: fred's product AVTkKLKsuJhkJMV-I3kz at version 4.
func pageMock(t *testing.T) *mock {
	m := newMock(t, deterministic())
	fred := basic("fred")
	thunder := obj{"name": "Thunder Buzz", "price": "$13.45"}
	m.doHost("mybackend.spacedog.io", "POST", "/1/data/product?id=AVTkKLKsuJhkJMV-I3kz", thunder, "Authorization", fred)
	for range 3 {
		m.doHost("mybackend.spacedog.io", "PUT", "/1/data/product/AVTkKLKsuJhkJMV-I3kz", thunder, "Authorization", fred)
	}
	return m
}

// golden compares a reply with a fixture, or rewrites the fixture with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("reply is not JSON: %v\n%s", err, got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("..", "fixtures", name)
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := fixtures.File(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("reply differs from fixtures/%s (go test ./mockserver -run %s -args -update rewrites it):\n%s", name, t.Name(), pretty.Bytes())
	}
}

func TestThePagesExampleAsWritten(t *testing.T) {
	req, err := fixtures.File("page/request.json")
	if err != nil {
		t.Fatal(err)
	}
	m := pageMock(t)
	r := m.doHost("mybackend.spacedog.io", "POST", "/1/batch", req, "Authorization", basic("fred"))
	res := r.results(t)
	if got := statuses(res); len(got) != 4 || got[2] != "400" || got[3] != "404" {
		t.Fatalf("statuses %v, want the third item a 400 and the fourth a 404", got)
	}
	golden(t, "page/reply.json", r.body)

	// The spec's example of this reply says what the mock says.
	sp, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	ex := sp.Doc.Paths.Value("/1/batch").Post.Responses.Value("200").Value.Content.Get("application/json").Examples["pageAsWritten"]
	want := ex.Value.Value.([]any)[2].(map[string]any)["error"].(map[string]any)["message"]
	if got := res[2]["error"].(map[string]any)["message"]; got != want {
		t.Errorf("the third item's message is\n%q\nthe spec's example says\n%q", got, want)
	}
}

func TestThePagesExampleCorrected(t *testing.T) {
	req, err := fixtures.File("page/request.corrected.json")
	if err != nil {
		t.Fatal(err)
	}
	r := pageMock(t).doHost("mybackend.spacedog.io", "POST", "/1/batch", req, "Authorization", basic("fred"))
	if got := statuses(r.results(t)); len(got) != 4 || got[2] != "200" {
		t.Fatalf("statuses %v, want the third item created", got)
	}
	golden(t, "page/reply.corrected.json", r.body)
}

func TestThePagesExampleVerbatimIsNotJSON(t *testing.T) {
	req, err := fixtures.File("page/request.verbatim.json")
	if err != nil {
		t.Fatal(err)
	}
	r := newMock(t, deterministic()).do("POST", "/1/batch", req)
	if r.status != 400 {
		t.Fatalf("the page's request with its trailing commas: %d, want 400", r.status)
	}
	assertEnvelope(t, r.json(t), 400)
}
