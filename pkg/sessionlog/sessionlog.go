// Package sessionlog defines the parser interface for remote-access tools' own
// logs and event records, and the registry of parsers by name. Signatures name
// a parser for each log location (signatures/*.yaml, logs[].parser).
package sessionlog

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
)

// Input is one file handed to a parser.
type Input struct {
	// Path is the file's path on the inspected system (for evidence).
	Path string
	// R streams the file; parsers must not buffer it whole.
	R io.Reader
	// Location is the zone for timestamps written in local time without an
	// offset. Parsers that read UTC or explicit offsets ignore it.
	Location *time.Location
	// Modified is the file's modification time (helps year-less timestamps).
	Modified time.Time
}

// Result is what a parser found in one file.
type Result struct {
	Sessions []session.Record
	// Lines is the number of lines (or records) read.
	Lines int
	// FirstTime/LastTime bound the timestamps seen in the file.
	FirstTime, LastTime *time.Time
	// Errors are problems that did not stop parsing (bad line, bad record).
	Errors []ParseError
	// Cleared lists the records saying a log was cleared (event logs).
	Cleared []session.Clear
}

// ParseError locates a problem in the file.
type ParseError struct {
	Line   int    `json:"line,omitempty"`
	Offset int64  `json:"offset"`
	Msg    string `json:"msg"`
}

func (e ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d (offset %d): %s", e.Line, e.Offset, e.Msg)
	}
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

// Parser reads one kind of tool log.
type Parser interface {
	// Name is the id signatures use (e.g. "x11vnc").
	Name() string
	// Tool is the signature id the sessions belong to.
	Tool() string
	// Parse reads in. A returned error means the file could not be read as
	// this format at all; problems in parts of it go in Result.Errors.
	Parse(in Input) (Result, error)
}

// SharedLog is implemented by a parser for one tool that reads a log every
// program writes to (syslog): the file's lines say nothing of the tool, only
// its records do (like an event log's), so reading it makes no tool present.
type SharedLog interface {
	SharedLog() bool
}

// Sniffer is implemented by parsers that can recognise their format from the
// first bytes, so `ratwatch logs` can pick a parser for a file handed over
// under any name.
type Sniffer interface {
	Sniff(head []byte, name string) bool
}

var registry = map[string]Parser{}

// Register adds parsers; called from pkg/sessionlog/parsers only (explicit
// registration, no init magic in parser packages).
func Register(ps ...Parser) {
	for _, p := range ps {
		if _, dup := registry[p.Name()]; dup {
			panic("sessionlog: duplicate parser " + p.Name())
		}
		registry[p.Name()] = p
	}
}

// Get returns a parser by name.
func Get(name string) (Parser, bool) { p, ok := registry[name]; return p, ok }

// Names lists the registered parsers.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every registered parser, sorted by name.
func All() []Parser {
	var out []Parser
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}
