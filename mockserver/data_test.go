package mockserver_test

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
)

var isTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

func TestDATA1_AnObjectReadsBackAsItsFieldsAndMeta(t *testing.T) {
	m := newMock(t, deterministic())
	m.do("POST", "/1/data/product?id=p", obj{"name": "Teddy", "nested": obj{"a": []any{1, "x"}}, "meta": obj{"id": "forged", "version": 9}},
		"Authorization", basic("fred"))
	m.do("PUT", "/1/data/product/p", obj{"price": "$1"}, "Authorization", basic("vince"))
	o := m.do("GET", "/1/data/product/p", nil).json(t).(obj)
	meta := o["meta"].(obj)
	if meta["id"] != "p" || meta["type"] != "product" || meta["version"] != jsonNumber(2) ||
		meta["createdBy"] != "fred" || meta["updatedBy"] != "vince" {
		t.Errorf("meta %v", meta)
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, _ := meta[k].(string); !isTime.MatchString(s) {
			t.Errorf("%s = %v, want UTC ISO-8601 with milliseconds", k, meta[k])
		}
	}
	if meta["createdAt"] == meta["updatedAt"] {
		t.Error("updatedAt did not move on update")
	}
	if o["name"] != "Teddy" || o["price"] != "$1" || o["nested"].(obj)["a"].([]any)[1] != "x" {
		t.Errorf("fields %v", o)
	}
	if len(meta) != 7 {
		t.Errorf("meta has %d members, want 7: %v", len(meta), meta)
	}
}

func TestDATA2_ASaveAnswersWhereTheObjectIs(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, host := range []string{"mybackend.spacedog.io", "shop.localhost:8080"} {
		r := m.doHost(host, "POST", "/1/data/product", obj{"a": 1})
		s := r.json(t).(obj)
		want := "http://" + host + "/1/data/product/" + s["id"].(string)
		if r.status != 200 || s["success"] != true || s["status"] != jsonNumber(200) || s["type"] != "product" ||
			s["version"] != jsonNumber(1) || s["location"] != want {
			t.Errorf("%s: %d %v, want location %s", host, r.status, s, want)
		}
		u := m.doHost(host, "PUT", "/1/data/product/"+s["id"].(string), obj{"a": 2}).json(t).(obj)
		if u["version"] != jsonNumber(2) || u["location"] != want {
			t.Errorf("update: %v", u)
		}
	}
}

func TestDATA3_AListingCountsEveryMatchAndPagesThem(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.batch("", creates(7, "a")...)
	m.batch("", creates(3, "b")...)
	for _, tc := range []struct {
		target        string
		total, length int
	}{
		{"/1/data/a", 7, 7},
		{"/1/data/a?size=3", 7, 3},
		{"/1/data/a?from=5", 7, 2},
		{"/1/data/a?from=50", 7, 0},
		{"/1/data/a?size=0", 7, 0},
		{"/1/data", 10, 10},
		{"/1/data?size=20", 10, 10},
		{"/1/data?from=8&size=5", 10, 2},
		{"/1/data/a?size=2147483647&from=1", 7, 6},
	} {
		l := m.do("GET", tc.target, nil).json(t).(obj)
		if l["total"] != jsonNumber(tc.total) || len(l["results"].([]any)) != tc.length {
			t.Errorf("%s: total %v, %d results; want %d, %d", tc.target, l["total"], len(l["results"].([]any)), tc.total, tc.length)
		}
	}
	// Oldest first, so pages do not overlap.
	var seen []string
	for from := 0; from < 7; from += 3 {
		for _, o := range m.do("GET", "/1/data/a?size=3&from="+strconv.Itoa(from), nil).json(t).(obj)["results"].([]any) {
			seen = append(seen, o.(obj)["meta"].(obj)["id"].(string))
		}
	}
	if slices.Sort(seen); len(slices.Compact(seen)) != 7 {
		t.Errorf("pages overlap: %v", seen)
	}
}

func TestDATA4_ATypeExistsOnceCreatedAndStaysKnown(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	if r := m.do("GET", "/1/data/thing", nil); r.status != http.StatusNotFound {
		t.Errorf("a type never created: %d, want 404", r.status)
	}
	if r := m.do("DELETE", "/1/data/thing", nil); r.status != http.StatusNotFound {
		t.Errorf("deleting a type never created: %d, want 404", r.status)
	}
	m.do("POST", "/1/data/thing?id=x", obj{})
	m.do("POST", "/1/data/other?id=y", obj{})
	if r := m.do("DELETE", "/1/data/thing", nil); r.status != 200 || string(r.body) != `{"success":true,"status":200}` {
		t.Errorf("delete type: %d %s", r.status, r.body)
	}
	l := m.do("GET", "/1/data/thing", nil)
	if l.status != 200 || l.json(t).(obj)["total"] != jsonNumber(0) {
		t.Errorf("an emptied type: %d %s, want 200 with total 0", l.status, l.body)
	}
	m.do("DELETE", "/1/data", nil)
	for _, typ := range []string{"thing", "other"} {
		if r := m.do("GET", "/1/data/"+typ, nil); r.status != 200 {
			t.Errorf("%s after DELETE /1/data: %d, want a known, empty type", typ, r.status)
		}
	}
}

func TestDATA5_BadInputToTheDataAPIIsRejected(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=x", obj{})
	for _, tc := range []struct {
		method, target string
		body           any
		status         int
	}{
		{"POST", "/1/data/thing", []any{}, 400},
		{"POST", "/1/data/thing", "\"text\"", 400},
		{"POST", "/1/data/thing", "{", 400},
		{"POST", "/1/data/thing", "{} {}", 400},
		{"PUT", "/1/data/thing/x", "42", 400},
		{"POST", "/1/data/_bad", obj{}, 400},
		{"GET", "/1/data/thing?from=x", nil, 400},
		{"GET", "/1/data/thing?size=1.5", nil, 400},
		{"GET", "/1/data?size=-1", nil, 400},
		{"POST", "/1/data/thing?id=x", obj{}, 409},
		{"PUT", "/1/data/thing/x?version=2", obj{}, 409},
	} {
		r := m.do(tc.method, tc.target, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s %v: %d %s, want %d", tc.method, tc.target, tc.body, r.status, r.body, tc.status)
			continue
		}
		assertEnvelope(t, r.json(t), tc.status)
	}
	if o := m.do("GET", "/1/data/thing/x", nil).json(t).(obj); o["meta"].(obj)["version"] != jsonNumber(1) {
		t.Errorf("a rejected request changed x: %v", o)
	}
}

func TestDATA6_GeneratedIDsAre20URLSafeCharacters(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	ids := map[string]bool{}
	for range 50 {
		id := m.do("POST", "/1/data/thing", obj{}).json(t).(obj)["id"].(string)
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`).MatchString(id) {
			t.Errorf("id %q", id)
		}
		ids[id] = true
	}
	if len(ids) != 50 {
		t.Errorf("%d distinct ids out of 50", len(ids))
	}
}

func TestBackendsNeverSeeEachOthersData(t *testing.T) {
	m := newMock(t, mockserver.Config{Backend: "main"})
	m.doHost("shop.localhost", "POST", "/1/data/thing?id=x", obj{"who": "shop"})
	m.doHost("blog.spacedog.io", "POST", "/1/data/thing?id=x", obj{"who": "blog"})
	m.doHost("127.0.0.1", "POST", "/1/data/thing?id=x", obj{"who": "main"})
	for host, who := range map[string]string{"shop.localhost:1": "shop", "BLOG.spacedog.io": "blog", "localhost": "main", "[::1]:80": "main", "spacedog.io": "main"} {
		r := m.doHost(host, "GET", "/1/data/thing/x", nil)
		if r.status != 200 || r.json(t).(obj)["who"] != who {
			t.Errorf("%s: %d %s, want %s's", host, r.status, r.body, who)
		}
	}
	if r := m.doHost("other.localhost", "GET", "/1/data/thing/x", nil); r.status != 404 {
		t.Errorf("another backend sees x: %d", r.status)
	}
	snap := m.srv.State("")
	if len(snap) != 3 || snap["shop"] == nil || snap["blog"] == nil || snap["main"] == nil {
		t.Errorf("backends %v", snap)
	}
}
