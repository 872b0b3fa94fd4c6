package mockserver

import "testing"

func TestTheJournalRingKeepsTheNewestInOrder(t *testing.T) {
	j := newJournal(4)
	for range 10 {
		j.add(Entry{})
	}
	got := j.list()
	if len(got) != 4 {
		t.Fatalf("%d entries", len(got))
	}
	for i, want := range []int64{10, 9, 8, 7} {
		if got[i].ID != want {
			t.Errorf("entry %d has ID %d, want %d", i, got[i].ID, want)
		}
	}
	j.clear()
	j.add(Entry{})
	if l := j.list(); len(l) != 1 || l[0].ID != 1 {
		t.Errorf("after clear: %+v", l)
	}
}
