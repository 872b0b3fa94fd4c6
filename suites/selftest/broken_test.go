package selftest

import (
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

// broken are servers with one realistic defect each: the suites must fail
// them, naming the rule the defect breaks.
func broken() []variant {
	return []variant{
		// A reply the suites cannot read fails every spec that reads one:
		// only the run's failure and the rule are asserted.
		{name: "the doc mock judged as a 2016 server", profile: spec.SpaceDog2016, breaks: []string{"LIM-1"}, garbles: true},
		{name: "the 2016 mock judged as a doc server", cfg: mockserver.Config{Profile: spec.SpaceDog2016}, breaks: []string{"LIM-1"}, garbles: true},
		{name: "errors without the envelope", wrap: defect.BareErrors, breaks: []string{"ERR-3"}, garbles: true},

		{name: "a batch limit one too high", cfg: mockserver.Config{MaxBatch: 11}, breaks: []string{"LIM-2"}},
		{name: "stopOnError ignored", wrap: defect.IgnoreStopOnError, breaks: []string{"STOP-2"}},
		{name: "large batches' first two results swapped", wrap: defect.SwapFirstTwoResults(8), breaks: []string{"ORD-1"}},
		{name: "direct errors whose envelope says 400", wrap: defect.EnvelopeSays400, breaks: []string{"ERR-3"}},
		{name: "well-formed sub-request headers dropped", wrap: defect.DropItemHeaders, breaks: []string{"SUB-3"}},
		{name: "batched errors worded otherwise", wrap: defect.RewordBatchedErrors, breaks: []string{"ORD-4"}},
		{name: "nested batches run", wrap: defect.RunNestedBatches, breaks: []string{"ERR-6"}},
		{name: "another method on the batch answered 404, strictly", wrap: defect.No405, strict: true, breaks: []string{"ERR-2"}},

		// CONTRACT §9.
		{name: "paths percent-decoded before they are split", wrap: defect.DecodeBeforeSplit, breaks: []string{"SEC-1"}},
		{name: "a backslash read as a slash", wrap: defect.BackslashAsSlash, breaks: []string{"SEC-1"}},
		{name: "item fields matched in any case", wrap: defect.ItemFieldsInAnyCase, breaks: []string{"ERR-4"}},
		{name: "a nested GET answered 405", wrap: defect.NestedGET405, breaks: []string{"ERR-6"}},
		{name: "a method that is no token answered 405", wrap: defect.TokenlessMethod405, breaks: []string{"ERR-4"}},
		{name: "item errors without their index, the item echoed", wrap: defect.ItemErrorsWithoutIndex, breaks: []string{"ERR-4"}},
		{name: "the page's mistake refused without how to write it, the item echoed", wrap: defect.ItemHintEchoed, breaks: []string{"ERR-4"}},
		{name: "from and size beyond 32 bits taken", wrap: defect.ClampFromSize, breaks: []string{"DATA-5"}},
		{name: "version 0 read as no version", wrap: defect.VersionZeroIgnored, breaks: []string{"DATA-5"}},
		// One DATA-1 slip in every object: reported under DATA-1, not under the rule of each spec that reads one.
		{name: "createdAt without milliseconds", wrap: defect.CreatedAtWithoutMillis(), breaks: []string{"DATA-1"}},

		// Where a sequence of one backend, short ASCII strings and small
		// numbers never goes (issue 28).
		{name: "locations built on a fixed origin", wrap: defect.FixedOriginLocation, breaks: []string{"DATA-2"}},
		{name: "a type's delete reaching every backend", wrap: defect.DeleteTypeInEveryBackend(), breaks: []string{"DATA-4"}},
		{name: "strings beyond the BMP stored as ?", wrap: defect.NarrowStrings, breaks: []string{"DATA-1"}},
		{name: "a 2016 server storing strings beyond the BMP as ?", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: defect.NarrowStrings, breaks: []string{"DATA-1"}},

		// Who wrote an object: seen only once another user updates it.
		{name: "an update overwriting createdBy with the updater", wrap: defect.UpdaterIsCreator, breaks: []string{"DATA-1"}},
		{name: "an update leaving updatedBy stale", wrap: defect.StaleUpdatedBy, breaks: []string{"DATA-1"}},
		{name: "a 2016 server whose update leaves updatedBy stale", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: defect.StaleUpdatedBy, breaks: []string{"DATA-1"}},

		// CONTRACT §6.1.
		{name: "login answering success to anyone", cfg: mockserver.Config{Users: suiteUsers}, args: []string{"--users-enforced"},
			wrap: defect.LoginForAnyone, breaks: []string{"AUTH-2", "AUTH-3"}},

		// CONTRACT §7: the 2016 server's own replies.
		{name: "a 2016 server wording a DELETE of a missing object as the doc profile does", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: defect.DocWordingOfMissingDelete, breaks: []string{"ERR-7"}},
		{name: "a 2016 server refusing an id in use with 409", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: defect.ConflictOnIDInUse, breaks: []string{"DATA-5"}},
		{name: "a 2016 server whose route errors have a class", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: defect.TypedRouteErrors, breaks: []string{"ERR-5", "ERR-3"}},
	}
}
