package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A backend's first writes may race each other: none may be lost to a
// backend registered twice.
func TestConcurrentFirstWritesToABackend(t *testing.T) {
	for range 50 {
		s := New(func() string { return "" })
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := s.Backend("new").Create("t", fmt.Sprint(i), map[string]any{}, "u", time.Time{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := len(s.Export()["new"]["t"]); n != 8 {
			t.Fatalf("%d objects of 8 concurrent first writes", n)
		}
	}
}

func TestReadsLeaveNoBackendBehind(t *testing.T) {
	s := New(func() string { return "x" })
	b := s.Backend("ghost")
	if _, err := b.Get("t", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get: %v", err)
	}
	if _, _, err := b.List("t", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("List: %v", err)
	}
	if total, _, err := b.List("", 0, 10); err != nil || total != 0 {
		t.Errorf("List all: %d %v", total, err)
	}
	b.DeleteAll()
	if len(s.Export()) != 0 {
		t.Error("reads registered a backend")
	}
}

func TestGeneratedIDsNeverCollide(t *testing.T) {
	ids := []string{"a", "a", "a", "b"}
	s := New(func() string { id := ids[0]; ids = ids[1:]; return id })
	b := s.Backend("x")
	for _, want := range []string{"a", "b"} {
		o, err := b.Create("t", "", nil, "u", time.Time{})
		if err != nil || o.ID != want {
			t.Fatalf("Create: %v %v, want id %s", o, err, want)
		}
	}
}
