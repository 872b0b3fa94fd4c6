package harness

import "testing"

// A test process none of whose tests asked for the binary builds none on
// its way out (a -short run of the self-test would otherwise pay a build
// for nothing); one that did removes it, building nothing more.
func TestNoBinaryIsBuiltUnlessATestAsksForIt(t *testing.T) {
	saved := build
	t.Cleanup(func() { build = saved; asked.Store(false) })
	builds := 0
	build = func() (string, error) { builds++; return t.TempDir() + "/spacedog-conformance", nil }

	removeBuilt()
	if builds != 0 {
		t.Fatalf("with no test asking, the way out built the binary %d times", builds)
	}
	Binary(t)
	removeBuilt()
	if builds != 2 { // Binary's, then removeBuilt's look-up of the same (once in real use)
		t.Fatalf("a test asked: %d calls of build, want Binary's and removeBuilt's", builds)
	}
}
