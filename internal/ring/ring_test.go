package ring

import (
	"slices"
	"sync"
	"testing"
)

func numbers[T any](items []Item[T]) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.N)
	}
	return out
}

func TestARingKeepsTheLastValuesOldestFirst(t *testing.T) {
	r := New[string](3)
	for _, v := range []string{"a", "b", "c", "d", "e"} {
		r.Add(v)
	}
	got := r.Items()
	if want := []Item[string]{{3, "c"}, {4, "d"}, {5, "e"}}; !slices.Equal(got, want) {
		t.Fatalf("items %v, want %v", got, want)
	}
	if r.Added() != 5 {
		t.Errorf("added %d, want 5", r.Added())
	}
}

func TestClearGoesOnNumberingAndResetStartsAgain(t *testing.T) {
	r := New[int](2)
	for i := range 5 {
		r.Add(i)
	}
	r.Clear()
	if len(r.Items()) != 0 {
		t.Fatalf("after Clear: %v", r.Items())
	}
	for i := range 3 {
		r.Add(i)
	}
	if got := numbers(r.Items()); !slices.Equal(got, []int64{7, 8}) {
		t.Errorf("after Clear and 3 adds: numbers %v, want [7 8]", got)
	}
	r.Reset()
	if n := r.Add(9); n != 1 || r.Added() != 1 {
		t.Errorf("after Reset: number %d, added %d, want 1 and 1", n, r.Added())
	}
}

func TestARingOfNoSizeKeepsNothingButCounts(t *testing.T) {
	r := New[int](0)
	r.Add(1)
	r.Add(2)
	if len(r.Items()) != 0 || r.Added() != 2 {
		t.Errorf("items %v, added %d", r.Items(), r.Added())
	}
}

func TestConcurrentAddsAreNumberedOnceEach(t *testing.T) {
	const writers, each = 8, 100
	r := New[int](writers * each)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				r.Add(0)
			}
		}()
	}
	wg.Wait()
	got := numbers(r.Items())
	for i, n := range got {
		if n != int64(i+1) {
			t.Fatalf("item %d numbered %d", i, n)
		}
	}
	if len(got) != writers*each {
		t.Errorf("%d items, want %d", len(got), writers*each)
	}
}
