// Package mockserver is an in-memory mock of SpaceDog's /1/batch API and of
// the data routes its sub-requests reach, as CONTRACT.md describes them.
//
// The OpenAPI document of package spec drives it: a request, direct or a
// batch's sub-request, is routed and validated by the document and runs the
// operation its operationId names. Both kinds take the one dispatch path, so
// a sub-request behaves exactly as the same request sent on its own (ORD-4).
//
// A request's way is one pipeline (pipeline.go), each stage in its own file:
// the Host check (host.go), CORS (cors.go), the admin routes' guard and the
// refusal of foreign writes (guard.go), the admin routes (admin.go), then
// the API (api.go): its body (body.go), fault rules (faults.go), dispatch by
// operationId (dispatch.go) to a batch (batch.go), the data operations
// (data.go) or signing in (login.go), or the proxy to a real backend
// (proxy.go); then the durable wait (durable.go), latency (latency.go), the
// journal (journal.go) and the log (log.go). How each profile answers is in
// profile.go and envelope.go; replies are written by hand in wire.go; the
// seed and state files' format is in state.go. Server and Config are in
// server.go.
package mockserver
