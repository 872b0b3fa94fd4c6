package mockserver

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Latency is a delay added to every API response: Min, or a time drawn
// evenly between Min and Max.
type Latency struct{ Min, Max time.Duration }

// ParseLatency reads "50ms" or a range "20ms-80ms".
func ParseLatency(s string) (Latency, error) {
	if s == "" {
		return Latency{}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	min, err := time.ParseDuration(lo)
	if err != nil {
		return Latency{}, fmt.Errorf("latency %q: %v", s, err)
	}
	l := Latency{Min: min, Max: min}
	if isRange {
		if l.Max, err = time.ParseDuration(hi); err != nil {
			return Latency{}, fmt.Errorf("latency %q: %v", s, err)
		}
	}
	return l, l.check()
}

func (l Latency) check() error {
	if l.Min < 0 || l.Max < l.Min || l.Max > maxDelay {
		return fmt.Errorf("latency %s-%s: from 0 to %s, the least first", l.Min, l.Max, maxDelay)
	}
	return nil
}

func (l Latency) wait(r *http.Request) {
	d := l.Min
	if l.Max > l.Min {
		d += rand.N(l.Max - l.Min + 1)
	}
	sleep(r, d)
}
