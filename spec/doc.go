// Package spec holds the OpenAPI description of SpaceDog's /1/batch API and
// of the data routes its sub-requests reach, in each profile, and judges
// requests and responses by it. The mock serves by it and the suites check
// every exchange with it, so the two cannot drift apart.
//
// Everything a profile is lives here: its document (openapi.yaml, and the
// spacedog-2016 profile's merge patch over it, applied by patch.go and
// render.go, loaded and validated once by spec.go); the router compiled from
// the document's paths, which splits a path before it decodes a segment
// (router.go); the request checks compiled from its schemas (compile.go);
// how the profile lays out its replies (wire.go); and the judging of a reply,
// or of each result of a batch by the operation its item routes to
// (check.go, inspect.go). CONTRACT.md is the contract in the project's own
// words; every rule in it is an x-rules entry of the document, and the
// operations and schemas name the rules they carry in x-requirements.
package spec
