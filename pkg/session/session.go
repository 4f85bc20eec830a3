// Package session defines the session record that every log, event-log and
// wire parser produces, and that the verdict engine consumes.
package session

import (
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
)

// Direction tells who controlled whom, seen from the scanned host.
type Direction string

const (
	Incoming         Direction = "incoming" // this host was controlled
	Outgoing         Direction = "outgoing" // this host controlled another
	DirectionUnknown Direction = "unknown"
)

// Outcome is how far a connection got.
type Outcome string

const (
	Established Outcome = "established"  // the remote side got the desktop
	Rejected    Outcome = "rejected"     // refused by the user or by policy
	FailedAuth  Outcome = "failed_auth"  // wrong password / authentication failure
	AttemptOnly Outcome = "attempt_only" // connection seen, no authentication result
)

// Record is one remote-access session (or attempt) as reconstructed from one or
// more artifacts. Times are UTC; TimeRule says how UTC was derived.
type Record struct {
	Tool      string    `json:"tool"`   // signature id
	Parser    string    `json:"parser"` // parser that produced it
	Direction Direction `json:"direction"`
	Outcome   Outcome   `json:"outcome"`

	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
	Duration string     `json:"duration,omitempty"`
	// Open is true when a start was seen but no end: either the session is
	// still running or the log stops before its end.
	Open bool `json:"open"`
	// OutcomeUnlogged: the artifact writes connections but never whether
	// they authenticated (RdpCoreTS 131), so attempt_only here is not known
	// to have failed: with no other record of it, a session cannot be
	// excluded. (Next to Open: the bools share one word of the record.)
	OutcomeUnlogged bool `json:"outcome_unlogged,omitempty"`
	// MinuteTimes: the artifact writes its times to the minute only
	// (AnyDesk connection_trace.txt, UltraVNC mslogon.log): a join takes
	// the finer of two times (the time_rule says the resolution in words).
	MinuteTimes bool   `json:"-"`
	TimeRule    string `json:"time_rule,omitempty"`

	RemoteID   string `json:"remote_id,omitempty"`
	RemoteIP   string `json:"remote_ip,omitempty"`
	RemotePort uint32 `json:"remote_port,omitempty"`
	RemoteName string `json:"remote_name,omitempty"` // remote alias / client name / remote OS
	LocalUser  string `json:"local_user,omitempty"`
	LocalPort  uint32 `json:"local_port,omitempty"`
	AuthMethod string `json:"auth_method,omitempty"`
	Display    string `json:"display,omitempty"`
	// Host is the computer whose log wrote the record (an event's
	// Computer), when the artifact names it: records of two computers are
	// never one session.
	Host string `json:"host,omitempty"`

	Transfers []Transfer `json:"transfers,omitempty"`
	Clipboard []Event    `json:"clipboard,omitempty"`
	// Input counts injected input events (keys, pointer) when the log has them:
	// proof the remote side drove the desktop, not only watched.
	Input map[string]int `json:"input,omitempty"`

	// Key joins records of the same session found in different artifacts.
	Key string `json:"join_key,omitempty"`
	// Sources lists every artifact that contributed after joining.
	Evidence []evidence.Evidence `json:"evidence"`
	Notes    []string            `json:"notes,omitempty"`
}

// Transfer is a file moved during a session.
type Transfer struct {
	Time      *time.Time `json:"time,omitempty"`
	Direction string     `json:"direction"` // "to_host" (uploaded to this PC) / "from_host" (taken from it) / "unknown"
	Name      string     `json:"name,omitempty"`
	// Folder is where the files were, when the log names only that
	// (AnyDesk "Preparing files in '<folder>'"): Name is then empty.
	Folder string `json:"folder,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Line   int    `json:"line,omitempty"`
	// Failed: the log says the file was not written or sent (TeamViewer
	// "Access is denied"): nothing moved through this transfer.
	Failed bool `json:"failed,omitempty"`
	// Kind names the kind of entry that wrote the transfer ("event 1100"),
	// when one artifact writes several: two transfers of the same file at
	// the same time from different kinds of entry are two transfers, never
	// merged as one seen twice. Not reported (the evidence says it).
	Kind string `json:"-"`
}

// Event is a timestamped side event in a session (clipboard etc.).
type Event struct {
	Time *time.Time `json:"time,omitempty"`
	What string     `json:"what"`
	Line int        `json:"line,omitempty"`
}

// Finish fills Duration and Open from Start/End.
func (r *Record) Finish() {
	r.Open = r.Start != nil && r.End == nil
	if r.Start != nil && r.End != nil && !r.End.Before(*r.Start) {
		r.Duration = r.End.Sub(*r.Start).String()
	}
}

// Seen is the first and last time of r's dated entries (evidence, transfers,
// clipboard events); ok is false when none has a time. For a record without
// start and end it is when the session is known to have been active.
func (r *Record) Seen() (first, last time.Time, ok bool) {
	see := func(t *time.Time) {
		if t == nil {
			return
		}
		if !ok || t.Before(first) {
			first = *t
		}
		if !ok || t.After(last) {
			last = *t
		}
		ok = true
	}
	for i := range r.Evidence {
		see(r.Evidence[i].Time)
	}
	for i := range r.Transfers {
		see(r.Transfers[i].Time)
	}
	for i := range r.Clipboard {
		see(r.Clipboard[i].Time)
	}
	return first.UTC(), last.UTC(), ok
}

// When says when the session was, as words for a report line: "at <start>"
// (RFC 3339, UTC), else "ended <end>", else "active at <first dated
// entry>", else "at an unknown time".
func (r *Record) When() string {
	switch {
	case r.Start != nil:
		return "at " + r.Start.UTC().Format(time.RFC3339)
	case r.End != nil:
		return "ended " + r.End.UTC().Format(time.RFC3339)
	}
	if t, _, ok := r.Seen(); ok {
		return "active at " + t.Format(time.RFC3339)
	}
	return "at an unknown time"
}

// PathAt is the file of the evidence written at t (the first such item),
// else of the first evidence item: the source a timeline event cites.
func (r *Record) PathAt(t *time.Time) string {
	if t != nil {
		for i := range r.Evidence {
			if e := r.Evidence[i].Time; e != nil && e.Equal(*t) {
				return r.Evidence[i].Path
			}
		}
	}
	if len(r.Evidence) > 0 {
		return r.Evidence[0].Path
	}
	return ""
}

// Moved counts the transfers not known to have failed.
func (r *Record) Moved() int {
	n := 0
	for i := range r.Transfers {
		if !r.Transfers[i].Failed {
			n++
		}
	}
	return n
}

// IsSession reports whether the record proves an established session.
func (r *Record) IsSession() bool { return r.Outcome == Established }

// T returns a pointer to a UTC copy of t (helper for parsers).
func T(t time.Time) *time.Time { u := t.UTC(); return &u }

// Clear is an event log's record that a log was cleared (Security 1102,
// System 104): the cleared log's records from before Time are gone, and
// with them any session they held.
type Clear struct {
	// Channel is the log that was cleared ("Security",
	// "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational").
	Channel string     `json:"channel"`
	Time    *time.Time `json:"time,omitempty"`
	// User is who cleared it (DOMAIN\name), when the record says.
	User string `json:"user,omitempty"`
	// Computer is the PC whose log it is (the record's Computer).
	Computer string            `json:"computer,omitempty"`
	Evidence evidence.Evidence `json:"evidence"`
	// Own: the record is in the log that was cleared (1102 is that log's
	// first record after the clear); else it names another log (104).
	Own bool `json:"-"`
}
