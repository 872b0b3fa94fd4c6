// Package mockserver is an in-memory mock of SpaceDog's /1/batch API and of
// the data routes its sub-requests reach, as CONTRACT.md describes them.
//
// The OpenAPI document of package spec drives it: a request, direct or a
// batch's sub-request, is routed and validated by the document and runs the
// operation its operationId names. Both kinds take the one dispatch path, so
// a sub-request behaves exactly as the same request sent on its own (ORD-4).
//
// A request's way is one pipeline, listed in serve.go, through a few rooms:
//
//   - access.go: the Host check, CORS, the admin routes' guard and the
//     refusal of writes from foreign pages, each refusal journaled and
//     logged with what would allow it;
//   - admin.go: the admin routes under /_mock/ and the page;
//   - serve.go: the API's stage, around the answer: the body, the durable
//     wait, the latency and the log;
//   - faults.go: the fault rules, aimed and counted, then dispatch.go: dispatch by operationId,
//     with the request's identity (backend, user), to batch.go (the batch
//     engine), data.go (the data operations) or login.go (signing in and
//     credentials); or proxy.go, the proxy to a real backend;
//   - journal.go: the journal, its news, its queries and the page's long poll;
//   - response.go: the response, its envelope, and the bodies written by hand.
//
// dialect.go holds how each profile's server spoke and behaved where the
// profiles differ (the layout of their replies is spec.Wire's); state.go
// the seed and state files and the change log; server.go Server, Config,
// New and the makers of ids and clocks.
package mockserver
