package conformance_test

import (
	"net/http"
	"testing"

	"github.com/spacedog-oss/batchkit/conformance"
)

// newBackend stands for a backend's own constructor of its HTTP handler.
func newBackend() http.Handler { return http.NotFoundHandler() }

// A backend's test runs the suites against its handler, which Test serves
// on a loopback port, and fails unless the backend conforms; the reports
// land in conformance-report/.
func Example() {
	testBatchConformance := func(t *testing.T) {
		conformance.Test(t, conformance.Config{
			Handler:  newBackend(),
			Profile:  "doc",
			Username: "fred", Password: "secret",
			Username2: "vince", Password2: "secret2",
			UsersEnforced: true, // the backend refuses a wrong password
			Destructive:   true, // its data is the test's own: DELETE /1/data may run
			ReportDir:     "conformance-report",
		})
	}
	_ = testBatchConformance // func TestBatchConformance(t *testing.T) in a _test.go file
}
