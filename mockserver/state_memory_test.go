//go:build !race

// The race detector multiplies the cost of loading 100k objects; the bound
// measured here is the same without it. Run it alone with
//
//	go test -run TestReadingTheStateOf100kObjects ./mockserver/

package mockserver_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// stateReadBound is what reading or saving the whole state may allocate,
// whatever the number of objects: the snapshot of pointers (8 bytes an
// object, 800 KB for 100k, and its growth) and fixed buffers. Allocated
// bytes bound the heap's growth, garbage included: the peak cannot rise
// by more than was allocated.
const stateReadBound = 20 << 20

// Reading 100k small objects, over HTTP or into the state file, allocates
// a fixed amount, not a copy of the document: it is written object by
// object.
func TestReadingTheStateOf100kObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100k objects")
	}
	const n = 100_000
	var seed bytes.Buffer
	seed.WriteString(`{"default":{"thing":[`)
	for i := range n {
		if i > 0 {
			seed.WriteByte(',')
		}
		fmt.Fprintf(&seed, `{"name":"object %06d","n":%d,"ok":true}`, i, i)
	}
	seed.WriteString(`]}}`)
	st, err := mockserver.ParseState("seed.json", seed.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t, deterministic())
	if err := m.srv.Load(st); err != nil {
		t.Fatal(err)
	}
	st, seed = nil, bytes.Buffer{}

	allocated := func(read func() int64) (alloc uint64, size int64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		size = read()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, size
	}
	alloc, size := allocated(func() int64 {
		resp, err := http.Get(m.url + "/_mock/state")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		size, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /_mock/state: %d %v", resp.StatusCode, err)
		}
		return size
	})
	t.Logf("GET /_mock/state: %d objects, %d bytes, %d bytes allocated", n, size, alloc)
	if alloc > stateReadBound {
		t.Errorf("GET /_mock/state of %d objects (%d bytes) allocated %d bytes, over %d", n, size, alloc, stateReadBound)
	}
	if size < 10<<20 {
		t.Errorf("the state is %d bytes: too small to tell a streamed read from a whole one", size)
	}

	path := filepath.Join(t.TempDir(), "state.json")
	alloc, size = allocated(func() int64 {
		if err := m.srv.SaveStateFile(path); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	})
	t.Logf("SaveStateFile: %d objects, %d bytes, %d bytes allocated", n, size, alloc)
	if alloc > stateReadBound {
		t.Errorf("saving %d objects (%d bytes) allocated %d bytes, over %d", n, size, alloc, stateReadBound)
	}
}
