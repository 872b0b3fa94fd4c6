package mockserver_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/mockserver/internal/wal"
)

// A mock that logs its changes replays to the same data from its log.
func TestALoggedMockReplaysToTheSameData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	log, _, _, err := wal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t, deterministic())
	m.srv.LogTo(log)
	m.do("POST", "/1/data/t?id=a", obj{"n": 1})
	m.batch("", subreq.Post("/1/data/t", obj{"n": 2}), subreq.Put("/1/data/t/a", obj{"m": 3}), subreq.Post("/1/data/u?id=b", obj{}), subreq.Delete("/1/data/u/b"))
	m.doHost("shop.localhost", "POST", "/1/data/s?id=c", obj{"x": "<y>"})
	m.do("PUT", "/1/data/t/a?strict=true", obj{"only": true})
	m.do("POST", "/_mock/reset?backend=shop", nil)
	m.doHost("shop.localhost", "POST", "/1/data/s?id=d", obj{})
	log.Close()

	_, records, _, err := wal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	twin := newMock(t, mockserver.Config{})
	if err := twin.srv.Replay(records); err != nil {
		t.Fatal(err)
	}
	if got, want := twin.srv.State(""), m.srv.State(""); !reflect.DeepEqual(got, want) {
		t.Errorf("replayed:\n%s\nwant:\n%s", mustJSON(t, got), mustJSON(t, want))
	}
	if err := twin.srv.Replay([][]byte{[]byte(`{"op":"put","backend":"x","type":"t","object":[]}`)}); err == nil {
		t.Error("a record whose object is not one was replayed")
	}
}

// failingLog loses every sync: a write must then not be acknowledged.
type failingLog struct{ n int64 }

func (l *failingLog) Append([]byte) int64 { l.n++; return l.n }
func (l *failingLog) End() int64          { return l.n }
func (l *failingLog) Sync(int64) error    { return errors.New("disk full") }

func TestAWriteThatDoesNotReachTheDiskIsNotAcknowledged(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.srv.LogTo(&failingLog{})
	r := m.do("POST", "/1/data/t?id=a", obj{})
	if msg := assertEnvelope(t, r.json(t), 500); msg == "" {
		t.Errorf("%d %s", r.status, r.body)
	}
	if r := m.do("GET", "/1/data/t/a", nil); r.status != 200 {
		t.Errorf("a read needs no sync: %d", r.status)
	}
}
