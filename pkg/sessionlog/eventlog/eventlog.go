// Package eventlog reads Windows event logs — binary .evtx files and exported
// event XML (one <Event> or an <Events> list, as wevtutil / Event Viewer /
// EvtxECmd write them) — and rebuilds incoming remote-access sessions from the
// events that prove them:
//
//   - RDP (tool windows-rdp): Security 4624/4625/4778/4779/4634/4647,
//     TerminalServices-RemoteConnectionManager 1149/261,
//     TerminalServices-LocalSessionManager 21/22/23/24/25,
//     RemoteDesktopServices-RdpCoreTS 131 and 104 (the client's time zone);
//   - ScreenConnect client (tool screenconnect): Application 100/101/200/201/30;
//   - Splashtop Streamer (tool splashtop): Remote Session/Operational
//     1000/1001/1100/1101;
//   - Chrome Remote Desktop host (tool chrome-remote-desktop): Application,
//     source chromoting, 1/2/3/4;
//   - LogMeIn host (tool logmein): Application, provider LogMeIn, 102/202/205.
//
// Events of one session are joined into one record (RDP: by TargetLogonId,
// LSM SessionID, source IP + user and time; the apps: by their session id or
// remote name). Every record keeps one evidence item per event, with the
// EventRecordID and a one-line rendering of the event.
//
// EVTX files are read chunk by chunk (64 KiB at a time) with
// www.velocidex.com/golang/evtx; a chunk the library cannot parse (it may panic
// on garbage) is reported as a ParseError with its file offset and parsing goes
// on with the next chunk.
package eventlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// Name is the parser id used by signatures.
const Name = "windows-eventlog"

// Tool ids of the sessions this parser produces.
const (
	ToolRDP           = "windows-rdp"
	ToolScreenConnect = "screenconnect"
	ToolSplashtop     = "splashtop"
	ToolCRD           = "chrome-remote-desktop"
	ToolLogMeIn       = "logmein"
)

// Time rules written into records.
const (
	timeRuleEVTX = "EVTX System/TimeCreated (UTC FILETIME)"
	timeRuleXML  = "event XML System/TimeCreated SystemTime (UTC)"
)

var evtxMagic = []byte("ElfFile\x00")

// Parser is the windows-eventlog parser. The zero value is ready to use.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements sessionlog.Parser.
func (*Parser) Name() string { return Name }

// Tool implements sessionlog.Parser: empty, each record carries its own tool.
func (*Parser) Tool() string { return "" }

// Sniff recognises an EVTX file by its magic, or exported event XML by an
// <Event> / <Events> element near the start (UTF-8 or UTF-16LE).
func (*Parser) Sniff(head []byte, name string) bool {
	if bytes.HasPrefix(head, evtxMagic) {
		return true
	}
	text, ok := headText(head)
	if !ok {
		return false
	}
	return findEventStart(text) >= 0
}

// Parse reads one .evtx or event XML file.
func (p *Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	if in.R == nil {
		return sessionlog.Result{}, errors.New("eventlog: no reader")
	}
	br := bufio.NewReaderSize(in.R, 64<<10)
	head, _ := br.Peek(4096)
	c := &collector{path: in.Path}
	switch {
	case bytes.HasPrefix(head, evtxMagic):
		c.timeRule = timeRuleEVTX
		if err := c.readEVTX(br); err != nil {
			return sessionlog.Result{}, err
		}
	default:
		text, ok := headText(head)
		if !ok || findEventStart(text) < 0 {
			return sessionlog.Result{}, ErrNotEventLog
		}
		c.timeRule = timeRuleXML
		if err := c.readXML(br, head); err != nil {
			return sessionlog.Result{}, err
		}
	}
	recs := c.join() // first: it fills c.res.Cleared
	res := c.res
	res.Sessions = recs
	return res, nil
}

// collector accumulates what one file yields: counters, errors and the few
// events that matter for sessions (everything else is counted and dropped, so
// memory stays bounded by the number of relevant events).
type collector struct {
	path     string
	timeRule string
	res      sessionlog.Result
	events   []*event
	seq      int
	ids      []idRange // record ids per chunk, in file order (EVTX)
}

func (c *collector) errorf(line int, off int64, msg string) {
	// A pathological file could produce an error per chunk; cap the list.
	const maxErrors = 1000
	if len(c.res.Errors) == maxErrors {
		c.res.Errors = append(c.res.Errors, sessionlog.ParseError{Offset: off, Msg: "too many errors; further errors not listed"})
		return
	}
	if len(c.res.Errors) > maxErrors {
		return
	}
	c.res.Errors = append(c.res.Errors, sessionlog.ParseError{Line: line, Offset: off, Msg: msg})
}

// seen counts one record and widens the file's time bounds.
func (c *collector) seen(t time.Time) {
	c.res.Lines++
	c.seenTime(t)
}

func (c *collector) seenTime(t time.Time) {
	if t.IsZero() {
		return
	}
	if c.res.FirstTime == nil || t.Before(*c.res.FirstTime) {
		c.res.FirstTime = session.T(t)
	}
	if c.res.LastTime == nil || t.After(*c.res.LastTime) {
		c.res.LastTime = session.T(t)
	}
}

// keep classifies a fully decoded event and retains it if it matters.
func (c *collector) keep(e *event) {
	e.act = classify(e)
	if e.act == aNone {
		return
	}
	e.seq = c.seq
	c.seq++
	c.events = append(c.events, e)
}

// join turns the retained events into session records (and the records of
// a log cleared into res.Cleared).
func (c *collector) join() []session.Record {
	evs := c.events[:0:0]
	for _, e := range c.events {
		if e.act == aLogCleared {
			c.res.Cleared = append(c.res.Cleared, c.cleared(e))
			continue
		}
		evs = append(evs, e)
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.Time.IsZero() != b.Time.IsZero() {
			return !a.Time.IsZero() // events without a time go last
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.seq < b.seq
	})
	j := newJoiner(c.path, c.timeRule)
	for _, e := range evs {
		j.handle(e)
	}
	return j.finish()
}

// cleared reads a "log cleared" record: Security 1102 is written into the
// log that was cleared, System 104 names the cleared log in its Channel.
func (c *collector) cleared(e *event) session.Clear {
	ch := e.get("Channel")
	if e.ID == 1102 || ch == "" {
		ch = e.Channel
	}
	if ch == "" && e.ID == 1102 {
		ch = "Security"
	}
	user := e.get("SubjectUserName")
	if d := e.get("SubjectDomainName"); d != "" && user != "" {
		user = d + `\` + user
	}
	ev := evidence.Evidence{Kind: evidence.KindRecord, Scanner: Name, Path: c.path, Offset: e.Offset, Line: e.Line,
		RecordID: e.RecordID, Summary: fmt.Sprintf("%s %d: the %s log was cleared", e.source(), e.ID, ch), Raw: e.raw(), Time: session.T(e.Time)}
	if e.Time.IsZero() {
		ev.Time = nil
	}
	return session.Clear{Channel: ch, Time: ev.Time, User: user, Computer: e.Computer, Evidence: ev, Own: strings.EqualFold(ch, e.Channel)}
}

// ErrNotEventLog is returned by Parse for input that is neither format.
var ErrNotEventLog = errors.New("eventlog: not an EVTX file nor Windows event XML")

var (
	_ sessionlog.Parser  = (*Parser)(nil)
	_ sessionlog.Sniffer = (*Parser)(nil)
)
