package concurrency

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// A check that times out may still be stepping when it returns; a
// timeline drawn of the same object then steps it too, and shares what
// the steps learnt. Under -race, this shows whether they share it safely.
func TestATimelineDrawnWhileATimedOutCheckStillSteps(t *testing.T) {
	c := checker(t, spec.Doc)
	c.Timeline = true
	ops := []*Op{op(0, "POST", "id=k", `{"x":1}`, 0, 10, 200, saved(1))}
	// Writes of unknown effect, all at once, then a read no subset of
	// them explains: Porcupine tries every subset, in every order.
	for i := range 24 {
		ops = append(ops, op(1+i%7, "PUT", "", fmt.Sprintf(`{"f%d":1}`, i), 20+int64(i), 0, model.Unanswered, ""))
	}
	ops = append(ops, op(0, "GET", "", "", 100, 110, http.StatusOK, object(40, `"x":1,`)))
	p := partitions(ops)[0]
	m := c.porcupineModel()
	if r := porcupine.CheckOperationsTimeout(m, c.history(p, p.ops), time.Millisecond); r != porcupine.Unknown {
		t.Fatalf("the check ended: %v", r)
	}
	// The create's timeline: it alone was sent before its answer.
	if page := c.timeline(m, p, ops[0]); !bytes.Contains(page, []byte("<html")) {
		t.Errorf("no timeline: %.200s", page)
	}
}
