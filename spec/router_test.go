package spec

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// TestFindRouteSplitsBeforeDecoding: an encoded "/" is part of its segment
// (CONTRACT §9, SEC-1), so a path names one object or none.
func TestFindRouteSplitsBeforeDecoding(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, op string
		params   map[string]string
		err      error
	}{
		{"/1/data/t/k%2F", "getObject", map[string]string{"type": "t", "id": "k/"}, nil},
		{"/1/data/t/k%2f/", "getObject", map[string]string{"type": "t", "id": "k/"}, nil},
		{"/1/data/t%2Fu", "listObjects", map[string]string{"type": "t/u"}, nil},
		{"/1/data/t/%2E%2E", "getObject", map[string]string{"type": "t", "id": ".."}, nil},
		{"/1/data/t/a%20b", "getObject", map[string]string{"type": "t", "id": "a b"}, nil},
		{"/1/dat%61/t", "listObjects", map[string]string{"type": "t"}, nil},
		{"/1/data%2Ft", "", nil, ErrNoRoute},
		{"/1/data//k", "", nil, ErrNoRoute},
		{"/1/data/t/k/x", "", nil, ErrNoRoute},
		{"/1/data/t/%zz", "", nil, ErrBadPath},
	} {
		r, err := s.FindRoute("GET", tc.path)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("FindRoute(GET %s) = %v, want %v", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || r.OperationID() != tc.op || !maps.Equal(r.PathParams, tc.params) {
			t.Errorf("FindRoute(GET %s) = %v %v, %v; want %s %v", tc.path, r, paramsOf(r), err, tc.op, tc.params)
		}
	}
}

// TestFindRouteAgreesWithKinOpenAPI: on paths without encoded separators,
// the compiled routes find what kin-openapi's own router finds, the
// validator of record.
func TestFindRouteAgreesWithKinOpenAPI(t *testing.T) {
	for _, profile := range Profiles() {
		s, err := LoadProfile(profile)
		if err != nil {
			t.Fatal(err)
		}
		doc := *s.Doc
		doc.Servers = nil // kin's router would match SpaceDog's hosts only
		kin, err := gorillamux.NewRouter(&doc)
		if err != nil {
			t.Fatal(err)
		}
		paths := []string{"/", "/1", "/1/batch", "/1/batch/x", "/1/data", "/1/data/t", "/1/data/t/k",
			"/1/data/t/k/x", "/1/data/batch", "/1/data/data/data", "/2/data", "/_mock/state",
			"/1/data/t%20x", "/1/data/t/k%21", "/1/Data/t", "/1/data/_t/k.x~y"}
		for _, path := range paths {
			for _, method := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"} {
				ours, oerr := s.FindRoute(method, path)
				u, err := url.Parse(path)
				if err != nil {
					t.Fatal(err)
				}
				route, params, kerr := kin.FindRoute(&http.Request{Method: method, URL: u, Host: "localhost"})
				if kerr == nil && MethodNotAllowed(route.Operation) {
					// kin-openapi routes to the operation that describes
					// the 405; ours answers the 405 and names it.
					var re *RouteError
					if !errors.As(oerr, &re) || re.Route == nil || re.Route.Operation != route.Operation {
						t.Errorf("%s %s %s: ours %v, want the 405 that %s describes", profile, method, path, oerr, route.Operation.OperationID)
					}
					kerr = routers.ErrMethodNotAllowed
				}
				switch {
				case kerr == nil && oerr == nil:
					if ours.Path != route.Path || !maps.Equal(ours.PathParams, decoded(t, params)) {
						t.Errorf("%s %s %s: ours %s %v, kin-openapi's %s %v", profile, method, path, ours.Path, ours.PathParams, route.Path, params)
					}
				case errors.Is(kerr, routers.ErrMethodNotAllowed) != errors.Is(oerr, ErrMethodNotAllowed),
					errors.Is(kerr, routers.ErrPathNotFound) != errors.Is(oerr, ErrNoRoute):
					t.Errorf("%s %s %s: ours %v, kin-openapi's %v", profile, method, path, oerr, kerr)
				}
			}
		}
	}
}

func decoded(t *testing.T, params map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range params {
		p, err := url.PathUnescape(v)
		if err != nil {
			t.Fatalf("kin-openapi's %s=%q: %v", k, v, err)
		}
		out[k] = p
	}
	return out
}

func paramsOf(r *Route) map[string]string {
	if r == nil {
		return nil
	}
	return r.PathParams
}

// TestEveryMethodAPathLacksIsADescribed405: on every path, each of GET,
// POST, PUT, DELETE and PATCH either runs an operation or is described by
// one marked x-method-not-allowed whose only reply is a 405, which
// FindRoute names without routing to it; no operation that runs
// documents a 405 it cannot get.
func TestEveryMethodAPathLacksIsADescribed405(t *testing.T) {
	for _, profile := range Profiles() {
		s, err := LoadProfile(profile)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range s.Doc.Paths.InMatchingOrder() {
			item := s.Doc.Paths.Value(path)
			var allow []string
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
				if op := item.GetOperation(m); op != nil && !MethodNotAllowed(op) {
					allow = append(allow, m)
				}
			}
			concrete := strings.NewReplacer("{type}", "product", "{id}", "k").Replace(path)
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
				op := item.GetOperation(m)
				switch {
				case op == nil:
					t.Errorf("%s: %s %s is not described", profile, m, path)
				case !MethodNotAllowed(op):
					if op.Responses.Value("405") != nil {
						t.Errorf("%s: %s %s runs, yet documents a 405", profile, m, path)
					}
				default:
					// ERR-2 is a SHOULD: the batch route may answer 404 instead.
					codes := op.Responses.Map()
					extra := len(codes) - 1
					if path == "/1/batch" && codes["404"] != nil {
						extra--
					}
					if codes["405"] == nil || extra != 0 {
						t.Errorf("%s: %s %s describes a 405 and more: %v", profile, m, path, slices.Collect(maps.Keys(codes)))
					}
					_, err := s.FindRoute(m, concrete)
					var re *RouteError
					if !errors.As(err, &re) || !errors.Is(err, ErrMethodNotAllowed) || re.Route == nil || re.Route.Operation != op {
						t.Errorf("%s: FindRoute(%s %s) = %v, want the 405 %s describes", profile, m, concrete, err, op.OperationID)
						continue
					}
					if !slices.Equal(re.Allow, allow) {
						t.Errorf("%s: %s %s allows %v, want %v", profile, m, concrete, re.Allow, allow)
					}
				}
			}
		}
	}
}
