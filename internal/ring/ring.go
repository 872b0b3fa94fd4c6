// Package ring keeps the last values of a stream, numbered in the order
// they came: a bounded history, such as a journal of requests.
package ring

import "sync"

// Item is a value with its number: 1 for the first added.
type Item[T any] struct {
	N int64
	V T
}

// Ring keeps the last Size values added. It is safe for concurrent use.
type Ring[T any] struct {
	mu    sync.Mutex
	size  int
	added int64     // the number of the last value added
	items []Item[T] // up to size, the oldest at head once full
	head  int
}

// New returns a ring that keeps the last size values; with size 0 or
// less, it keeps none but still counts them.
func New[T any](size int) *Ring[T] {
	return &Ring[T]{size: max(size, 0)}
}

// Add keeps v, forgetting the oldest value when the ring is full, and
// returns v's number.
func (r *Ring[T]) Add(v T) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.added++
	switch {
	case r.size == 0:
	case len(r.items) < r.size:
		r.items = append(r.items, Item[T]{r.added, v})
	default:
		r.items[r.head] = Item[T]{r.added, v}
		r.head = (r.head + 1) % r.size
	}
	return r.added
}

// Items returns the values kept, oldest first.
func (r *Ring[T]) Items() []Item[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Item[T], 0, len(r.items))
	for i := range r.items {
		out = append(out, r.items[(r.head+i)%len(r.items)])
	}
	return out
}

// Added counts the values added since New or the last Reset, those
// forgotten or cleared included.
func (r *Ring[T]) Added() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.added
}

// Clear forgets the values kept; numbering goes on from where it was.
func (r *Ring[T]) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
}

// Reset forgets the values kept, and numbering starts again from 1.
func (r *Ring[T]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	r.added = 0
}

func (r *Ring[T]) clear() {
	r.items, r.head = nil, 0
}
