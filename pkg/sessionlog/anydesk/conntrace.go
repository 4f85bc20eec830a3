package anydesk

import (
	"bytes"
	"fmt"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// ConnectionTrace parses connection_trace.txt (session-artifacts.md §1.3):
//
//	Incoming    2024-02-16, 20:29    User      221436813    221436813
//	Incoming     2014-11-26, 04:38   Token       user2@ad 123456
//
// Columns: direction, "YYYY-MM-DD, HH:MM" (UTC, minute resolution), method,
// remote alias and remote ID. Separated by runs of spaces or tabs; the alias
// may contain single spaces. Recent versions write UTF-16LE without BOM.
// User/Passwd/Token = accepted (T3), REJECTED = declined by the local user.
// Each row is one session; its end is not recorded.
type ConnectionTrace struct{}

func (ConnectionTrace) Name() string { return "anydesk-connection-trace" }
func (ConnectionTrace) Tool() string { return tool }

// Sniff: a row starts with Incoming/Outgoing followed by the date.
func (ConnectionTrace) Sniff(head []byte, name string) bool {
	if len(head) >= 4 && head[1] == 0 && head[3] == 0 || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) {
		var b []byte
		for i := 0; i+1 < len(head); i += 2 {
			if head[i] != 0xFF && head[i] != 0xFE {
				b = append(b, head[i])
			}
		}
		head = b
	}
	head = bytes.TrimLeft(head, "\x00\xef\xbb\xbf \r\n")
	if !bytes.HasPrefix(head, []byte("Incoming")) && !bytes.HasPrefix(head, []byte("Outgoing")) {
		return false
	}
	_, ok := parseDateMinute(bytes.TrimLeft(head[8:], " \t"))
	return ok
}

const connRule = "UTC as written (connection_trace.txt, minute resolution)"

func (ConnectionTrace) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := ConnectionTrace{}
	rd, err := open(p.Name(), in)
	if err != nil {
		return sessionlog.Result{}, err
	}
	var res sessionlog.Result
	var b bounds
	rows := 0
	const chunk = 4096
	var blocks [][]session.Record
	blk := make([]session.Record, 0, 64)
	var evs []evidence.Evidence
	for rd.Next() {
		l := bytes.TrimSpace(rd.Bytes())
		if len(l) == 0 {
			continue
		}
		var dir session.Direction
		switch {
		case bytes.HasPrefix(l, []byte("Incoming")):
			dir = session.Incoming
		case bytes.HasPrefix(l, []byte("Outgoing")):
			dir = session.Outgoing
		default:
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "not a connection_trace row"})
			continue
		}
		rest := bytes.TrimLeft(l[8:], " \t")
		t, ok := parseDateMinute(rest)
		if !ok {
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "bad date in connection_trace row"})
			continue
		}
		rows++
		b.see(t)
		rest = bytes.TrimLeft(rest[17:], " \t")
		method := rest
		if k := bytes.IndexAny(rest, " \t"); k >= 0 {
			method, rest = rest[:k], bytes.TrimSpace(rest[k:])
		} else {
			rest = nil
		}
		// Remote: "<alias> <id>" or "<id> <id>"; the ID is the last token.
		var alias, id string
		if len(rest) > 0 {
			toks := bytes.Fields(rest)
			id = string(toks[len(toks)-1])
			if len(toks) > 1 {
				alias = string(bytes.Join(toks[:len(toks)-1], []byte(" ")))
				if alias == id {
					alias = ""
				}
			}
		}
		start := session.T(t)
		r := session.Record{Tool: tool, Parser: p.Name(), Direction: dir, Start: start, TimeRule: connRule, RemoteID: id, RemoteName: alias}
		notes := notesNoEnd
		switch {
		case bytes.EqualFold(method, []byte("user")):
			r.Outcome, r.AuthMethod = session.Established, "interactive (accepted by the local user)"
		case bytes.EqualFold(method, []byte("passwd")):
			r.Outcome, r.AuthMethod = session.Established, "password"
			notes = notesPasswd
		case bytes.EqualFold(method, []byte("token")):
			r.Outcome, r.AuthMethod = session.Established, "token"
		case bytes.EqualFold(method, []byte("rejected")):
			r.Outcome = session.Rejected
		default:
			r.Outcome = session.AttemptOnly
			notes = []string{fmt.Sprintf("unknown connection_trace method %q", method), notesNoEnd[0]}
		}
		// Shared read-only slices (len == cap, so an append copies).
		r.Notes = notes
		r.Key = key(dir, id, "")
		if len(evs) == cap(evs) {
			evs = make([]evidence.Evidence, 0, chunk)
		}
		evs = append(evs, ev(p.Name(), &in, rd.N(), rd.Offset(), rd.Bytes(), start, "connection_trace.txt row", rowFields[b2i(alias != "")][b2i(r.AuthMethod != "")]...))
		r.Evidence = evs[len(evs)-1 : len(evs) : len(evs)]
		r.Finish()
		r.Open = false // the row is complete: this artifact never records an end
		if len(blk) == cap(blk) {
			blocks = append(blocks, blk)
			blk = make([]session.Record, 0, chunk)
		}
		blk = append(blk, r)
	}
	// Records were kept in fixed blocks (no regrowing of one huge slice):
	// assemble them once.
	blocks = append(blocks, blk)
	n := 0
	for _, b := range blocks {
		n += len(b)
	}
	res.Sessions = make([]session.Record, 0, n)
	for _, b := range blocks {
		res.Sessions = append(res.Sessions, b...)
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	res.FirstTime, res.LastTime = b.first, b.last
	if rows == 0 && len(res.Errors) > 0 {
		return res, fmt.Errorf("%s: %s: no connection_trace row (first problem at offset %d)", p.Name(), in.Path, res.Errors[0].Offset)
	}
	return res, nil
}

// Shared, read-only field and note lists of connection_trace rows (len ==
// cap, so a later append copies instead of writing into them).
var (
	notesNoEnd  = []string{"connection_trace.txt records no end time"}
	notesPasswd = []string{"unattended-access password is configured", "connection_trace.txt records no end time"}
	// rowFields[has alias][has auth method]
	rowFields = [2][2][]string{
		{{"start", "direction", "outcome", "remote_id"}, {"start", "direction", "outcome", "remote_id", "auth_method"}},
		{{"start", "direction", "outcome", "remote_id", "remote_name"}, {"start", "direction", "outcome", "remote_id", "remote_name", "auth_method"}},
	}
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
