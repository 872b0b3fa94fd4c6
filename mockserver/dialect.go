package mockserver

import (
	"fmt"
	"net/http"

	"github.com/spacedog-oss/batchkit/spec"
)

// dialect is how the server a profile describes spoke and behaved where
// the profiles differ (CONTRACT §7): its error classes and messages, and
// what it did otherwise, as values. Handlers read them; no handler asks
// which profile it is in. How its replies and results are laid out is the
// profile's spec.Wire.
type dialect struct {
	// took adds to a listing the milliseconds it took.
	took bool
	// bareMissing answers a GET of a missing object without its error.
	bareMissing bool
	// payloads are the item fields the payload is read from; with two,
	// giving both is an error (SUB-1).
	payloads []string
	// notObject, when set, answers the whole batch when its loop reaches an
	// element that is not an object: the elements before it have run. When
	// nil, such an element is a malformed item, failed in place (ERR-4).
	notObject func(raw []byte) response
	// batchIdentity runs every item as the batch's caller, checked once;
	// an item's own Authorization reaches it but does not change who runs it.
	batchIdentity bool
	// overwrite makes a POST with an existing id replace the object, where
	// the doc profile answers 409 (DATA-5).
	overwrite bool
	// errorType names the exception behind an error status.
	errorType func(status int) string
	// tooMany is LIM-2's message.
	tooMany func(limit, n int) string
	// routeError answers a request that has no operation (ERR-5); shown
	// is its method and path as the request named them.
	routeError func(status int, method, shown string, err error) response
	// missingDelete answers a DELETE of a missing object or type.
	missingDelete func(typ, id string, err error) response
	// deleteAll answers DELETE /1/data; nil runs it.
	deleteAll func() response
	// totalDeleted adds to a DELETE of a type how many objects went.
	totalDeleted bool
	// objectIDHeader names a saved object in an x-spacedog-object-id
	// header too, which SDKs of that server read.
	objectIDHeader bool
	// signIn words the refusals of GET /1/login and /1/logout (login.go).
	signIn signInWords
}

// dialectOf is the dialect of a profile, by the profile's name.
func dialectOf(profile string) (dialect, bool) {
	switch profile {
	case spec.Doc:
		d := dialect{
			payloads:  []string{"content", "body"},
			errorType: docErrorType,
			tooMany: func(limit, n int) string {
				return fmt.Sprintf("batch are limited to %d sub requests; this one has %d", limit, n)
			},
		}
		d.routeError = func(status int, _, _ string, err error) response { return d.failure(status, "%v", err) }
		d.missingDelete = func(_, _ string, err error) response { return d.failure(http.StatusNotFound, "%v", err) }
		d.signIn = docSignIn(d)
		return d, true
	case spec.SpaceDog2016:
		d := dialect{
			took:          true,
			bareMissing:   true,
			payloads:      []string{"content"},
			batchIdentity: true,
			overwrite:     true,
			totalDeleted:  true,
			// JsonPayload.java :108, JsonPayload.saved.
			objectIDHeader: true,
			errorType:      errorType2016,
			// BatchResource.java (a049f2de) :50-51, the 10 a literal there.
			tooMany: func(limit, _ int) string { return fmt.Sprintf("batch are limited to %d sub requests", limit) },
			routeError: func(status int, method, shown string, _ error) response {
				// ServiceErrorFilter.java :47-61: fluent-http's own 404 and 405
				// have no content, so the filter writes a message and no type.
				msg := fmt.Sprintf("[%s] not a valid path", shown)
				if status == http.StatusMethodNotAllowed {
					msg = fmt.Sprintf("method [%s] not valid for path [%s]", method, shown)
				}
				return response{status: status, body: encode(envelope{Status: status, Error: &errorBody{Message: msg}})}
			},
			// DataResource.java (e92663a7) :205, JsonPayload.error(status,
			// message): always a RuntimeException.
			missingDelete: func(typ, id string, _ error) response {
				msg := fmt.Sprintf("object of type [%s] and id [%s] not found", typ, id)
				return failureOf(http.StatusNotFound, "java.lang.RuntimeException", msg)
			},
			// DataResource.java (e92663a7) :52-60: not implemented, "since
			// it would also delete super admins".
			deleteAll: func() response {
				return response{status: http.StatusNotImplemented, body: encode(envelope{Status: http.StatusNotImplemented})}
			},
		}
		// Json.java (a049f2de) :384-389, checkObject: the node type's name.
		d.notObject = func(raw []byte) response {
			return d.failure(http.StatusBadRequest, "not a json object but [%s]", nodeType(raw))
		}
		d.signIn = signIn2016
		return d, true
	}
	return dialect{}, false
}

// failure is the error envelope (ERR-3) with the profile's type for the
// status and a message saying what is wrong.
func (d dialect) failure(status int, format string, args ...any) response {
	return failureOf(status, d.errorType(status), fmt.Sprintf(format, args...))
}

// docErrorType names the exception behind a status, as SpaceDog's
// envelopes did on the reference page.
func docErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "java.lang.IllegalArgumentException"
	case http.StatusUnauthorized:
		return "io.spacedog.services.AuthenticationException"
	case http.StatusForbidden:
		return "io.spacedog.services.ForbiddenException"
	case http.StatusNotFound:
		return "io.spacedog.services.NotFoundException"
	case http.StatusMethodNotAllowed:
		return "io.spacedog.services.MethodNotAllowedException"
	case http.StatusConflict:
		return "io.spacedog.services.ConflictException"
	case http.StatusRequestEntityTooLarge:
		return "io.spacedog.services.PayloadTooLargeException"
	}
	return "java.lang.RuntimeException"
}

// errorType2016 names the classes the 2016 server threw (JsonPayload.java
// :38-52 maps them to statuses); any status it had no class of its own for
// came from JsonPayload.error(status, message), a RuntimeException.
func errorType2016(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "java.lang.IllegalArgumentException"
	case http.StatusUnauthorized:
		return "io.spacedog.utils.AuthenticationException"
	case http.StatusForbidden:
		return "io.spacedog.utils.ForbiddenException"
	case http.StatusNotFound:
		return "io.spacedog.utils.NotFoundException"
	case http.StatusConflict: // a version conflict, from Elasticsearch
		return "org.elasticsearch.index.engine.VersionConflictEngineException"
	}
	return "java.lang.RuntimeException"
}

// nodeType is Jackson's JsonNodeType name of a JSON value.
func nodeType(raw []byte) string {
	switch kindOf(raw) {
	case "an array":
		return "ARRAY"
	case "a string":
		return "STRING"
	case "a boolean":
		return "BOOLEAN"
	case "null":
		return "NULL"
	case "an object":
		return "OBJECT"
	}
	return "NUMBER"
}
