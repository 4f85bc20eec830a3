package session

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
)

// TestJoinTwoLargeSources: an AnyDesk service trace and a connection_trace
// that both list the same 20,000 sessions of one peer, ten minutes apart,
// join into 20,000 sessions with two evidence items each (two sources
// compared all with all took 3.4 s for 8,000; by time window, milliseconds).
func TestJoinTwoLargeSources(t *testing.T) {
	const n = 20000
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []Record
	for src, p := range []string{"anydesk-trace", "anydesk-connection-trace"} {
		for i := 0; i < n; i++ {
			s := base.Add(time.Duration(i)*10*time.Minute + time.Duration(2+src)*time.Second)
			recs = append(recs, Record{Tool: "anydesk", Parser: p, Direction: Incoming, Outcome: Established,
				Start: T(s), End: T(s.Add(5 * time.Minute)), RemoteID: "123456789", Evidence: []evidence.Evidence{{Path: "/" + p}}})
		}
	}
	out := Join(recs)
	if len(out) != n {
		t.Fatalf("%d sessions, want %d", len(out), n)
	}
	for i, r := range out {
		if len(r.Evidence) != 2 || !r.Start.Equal(base.Add(time.Duration(i)*10*time.Minute+2*time.Second)) {
			t.Fatalf("session %d: start %v, %d evidence items", i, r.Start, len(r.Evidence))
		}
	}
}

// TestJoinWindowSameAsAllPairs: on random records from three sources (open,
// start-less, end-less, reversed, days-long and centuries-long ones among
// them, and the open flag sometimes contradicting the end), joining by
// time window gives exactly what comparing every pair gives.
func TestJoinWindowSameAsAllPairs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	base := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	for round := 0; round < 300; round++ {
		var recs []Record
		for k, n := 0, 2+rng.Intn(40); k < n; k++ {
			r := Record{Tool: "anydesk", Parser: fmt.Sprint("p", rng.Intn(3)), Direction: []Direction{Incoming, Outgoing}[rng.Intn(2)],
				Outcome:  []Outcome{Established, Established, Rejected, AttemptOnly}[rng.Intn(4)],
				RemoteID: []string{"", "111", "222"}[rng.Intn(3)], RemoteIP: []string{"", "192.0.2.1"}[rng.Intn(2)],
				Evidence: []evidence.Evidence{{Path: "/log"}}}
			s := base.Add(time.Duration(rng.Intn(600)) * 30 * time.Second)
			length := time.Duration(rng.Intn(20)) * time.Minute
			switch rng.Intn(10) {
			case 0:
				length = time.Duration(rng.Intn(3)+1) * 24 * time.Hour
			case 1:
				length = -time.Duration(rng.Intn(5)) * time.Minute
			}
			e := s.Add(length)
			if rng.Intn(12) == 0 { // a corrupt row: from 1601 (longer than a time.Duration holds)
				s = time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			if rng.Intn(6) != 0 {
				r.Start = T(s)
			}
			if rng.Intn(4) != 0 {
				r.End = T(e)
			}
			r.Finish()
			if rng.Intn(8) == 0 {
				r.Open = !r.Open // a parser may say open with an end, or without a start
			}
			recs = append(recs, r)
		}
		win := Join(append([]Record(nil), recs...))
		bruteForce = true
		all := Join(append([]Record(nil), recs...))
		bruteForce = false
		if !reflect.DeepEqual(win, all) {
			t.Fatalf("round %d: by window %d records, all pairs %d\nwindow: %+v\nall:    %+v", round, len(win), len(all), win, all)
		}
	}
}
