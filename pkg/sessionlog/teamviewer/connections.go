package teamviewer

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

// ConnectionsIncoming parses Connections_incoming.txt (session-artifacts.md
// §2.2): tab separated, UTC, one established incoming session per row:
//
//	<remote ID> \t <remote name> \t DD-MM-YYYY HH:MM:SS \t <end> \t <local user> \t <type> \t <GUID> \t
type ConnectionsIncoming struct{}

func (ConnectionsIncoming) Name() string { return "teamviewer-connections-incoming" }
func (ConnectionsIncoming) Tool() string { return tool }

// Connections parses Connections.txt, the outgoing-connection list (no remote
// name column, columns padded with spaces in TV15):
//
//	<partner ID>   DD-MM-YYYY HH:MM:SS   <end>   <local user>   <type>   <GUID>
type Connections struct{}

func (Connections) Name() string { return "teamviewer-connections" }
func (Connections) Tool() string { return tool }

func (ConnectionsIncoming) Sniff(head []byte, name string) bool { return sniffConn(head, true) }
func (Connections) Sniff(head []byte, name string) bool         { return sniffConn(head, false) }

func sniffConn(head []byte, incoming bool) bool {
	for _, l := range bytes.Split(head, []byte{'\n'}) {
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		f := splitConn(l)
		i := dateField(f)
		if i < 0 || !isNum(f[0]) {
			return false
		}
		// The incoming file has the name column (tab separated), the
		// outgoing one has none.
		return incoming == (i == 2 && bytes.IndexByte(l, '\t') >= 0)
	}
	return false
}

const connLayout = "02-01-2006 15:04:05"

// splitConn splits on tabs when the row has any, else on runs of ≥ 2 spaces.
func splitConn(l []byte) []string {
	s := string(l)
	var out []string
	if strings.IndexByte(s, '\t') >= 0 {
		for _, f := range strings.Split(s, "\t") {
			out = append(out, strings.TrimSpace(f))
		}
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		return out
	}
	for _, f := range strings.Split(s, "  ") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func isNum(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func dateField(f []string) int {
	for i, x := range f {
		if i > 2 {
			break
		}
		if dateShaped(x) {
			if _, err := time.Parse(connLayout, x); err == nil {
				return i
			}
		}
	}
	return -1
}

// dateShaped is a cheap "DD-MM-YYYY hh:mm:ss" shape test: a failed
// time.Parse allocates its error, and most fields are not dates.
func dateShaped(x string) bool {
	return len(x) == 19 && x[2] == '-' && x[5] == '-' && x[10] == ' ' && x[13] == ':' && x[16] == ':'
}

// connFields[has remote name][has local user][has transfer]: shared,
// read-only evidence field lists.
var connFields = func() (t [2][2][2][]string) {
	for a := 0; a < 2; a++ {
		for b := 0; b < 2; b++ {
			for c := 0; c < 2; c++ {
				f := []string{"start", "end", "direction", "outcome", "remote_id"}
				if a == 1 {
					f = append(f, "remote_name")
				}
				if b == 1 {
					f = append(f, "local_user")
				}
				if c == 1 {
					f = append(f, "transfers")
				}
				t[a][b][c] = f[:len(f):len(f)]
			}
		}
	}
	return t
}()

func (ConnectionsIncoming) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	return parseConn(in, ConnectionsIncoming{}.Name(), session.Incoming)
}

func (Connections) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	return parseConn(in, Connections{}.Name(), session.Outgoing)
}

func parseConn(in sessionlog.Input, name string, dir session.Direction) (sessionlog.Result, error) {
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", name)
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return res, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	rule := "UTC as written (Connections_incoming.txt)"
	if dir == session.Outgoing {
		rule = "UTC as written (Connections.txt; assumed UTC like Connections_incoming.txt)"
	}
	rows := 0
	const connChunk = 4096
	var blocks [][]session.Record
	blk := make([]session.Record, 0, 64)
	var evs []evidence.Evidence
	var first, last time.Time
	seen := false
	for rd.Next() {
		l := rd.Bytes()
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		f := splitConn(l)
		di := dateField(f)
		if di < 1 || !isNum(f[0]) || len(f) < di+2 {
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "not a TeamViewer connections row"})
			continue
		}
		start, _ := time.Parse(connLayout, f[di])
		end, err := time.Parse(connLayout, f[di+1])
		if err != nil {
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "bad end time in connections row"})
			continue
		}
		rows++
		if !seen || start.Before(first) {
			first = start
		}
		if !seen || end.After(last) {
			last = end
		}
		seen = true
		st := session.T(start)
		r := session.Record{Tool: tool, Parser: name, Direction: dir, Outcome: session.Established,
			Start: st, End: session.T(end), TimeRule: rule, RemoteID: strings.ReplaceAll(f[0], " ", "")}
		var hasName, hasUser, hasTransfer int
		if di >= 2 && f[1] != "" {
			r.RemoteName = f[1]
			hasName = 1
		}
		rest := f[di+2:]
		if len(rest) > 0 && rest[0] != "" && rest[0] != "<unknown>" {
			r.LocalUser = rest[0]
			hasUser = 1
		}
		if len(rest) > 1 && rest[1] != "" {
			r.Notes = append(r.Notes, "connection type "+rest[1])
			if strings.EqualFold(rest[1], "Filetransfer") {
				r.Transfers = append(r.Transfers, session.Transfer{Time: st, Direction: "unknown", Line: rd.N()})
				hasTransfer = 1
			}
		}
		if len(rest) > 2 && rest[2] != "" {
			r.Notes = append(r.Notes, "connection GUID "+rest[2])
		}
		r.Key = key(dir, r.RemoteID, "")
		if len(evs) == cap(evs) {
			evs = make([]evidence.Evidence, 0, connChunk)
		}
		evs = append(evs, evidence.Evidence{
			Kind: evidence.KindLogLine, Scanner: name, Summary: name + " row", Path: in.Path,
			Line: rd.N(), Offset: rd.Offset(), Raw: evidence.Clip(string(l)), Fields: connFields[hasName][hasUser][hasTransfer], Time: st,
		})
		r.Evidence = evs[len(evs)-1 : len(evs) : len(evs)]
		r.Finish()
		if len(blk) == cap(blk) {
			blocks = append(blocks, blk)
			blk = make([]session.Record, 0, connChunk)
		}
		blk = append(blk, r)
	}
	// Records were kept in fixed blocks (no regrowing of one huge slice).
	blocks = append(blocks, blk)
	n := 0
	for _, b := range blocks {
		n += len(b)
	}
	res.Sessions = make([]session.Record, 0, n)
	for _, b := range blocks {
		res.Sessions = append(res.Sessions, b...)
	}
	if seen {
		res.FirstTime, res.LastTime = session.T(first), session.T(last)
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	if rows == 0 && len(res.Errors) > 0 {
		return res, fmt.Errorf("%s: %s: no connections row (first problem at offset %d)", name, in.Path, res.Errors[0].Offset)
	}
	return res, nil
}
