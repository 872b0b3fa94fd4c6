package mockserver

import "sync"

// news wakes whoever waits for the journal's next change: each waiter
// holds the channel of the moment it looked, closed by the next change.
// Once stopped, no one waits any more: a server shutting down must not
// be held by long polls.
type news struct {
	mu      sync.Mutex
	ch      chan struct{}
	stopped bool
}

func newNews() *news { return &news{ch: make(chan struct{})} }

// next is closed at the next change, or at once when stopped.
func (n *news) next() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *news) announce() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stopped {
		close(n.ch)
		n.ch = make(chan struct{})
	}
}

func (n *news) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stopped {
		n.stopped = true
		close(n.ch)
	}
}
