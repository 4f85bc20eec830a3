package anydesk

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// FileTransfer parses file_transfer_trace.txt (session-artifacts.md §1.4,
// documented by dissect.target; no public sample):
//
//	Clipboard\t\t2025-01-01, 13:37\tstart \tdownload\t'malware.exe' (~0 B out of 4.20 MiB)
//
// Tab separated: mechanism (Clipboard / FileManager), blank, time (UTC,
// minute resolution), state (start / finish …), download / upload, quoted
// name with size progress. The file names no peer and no session, so rows
// within groupGap of each other form one record with Direction unknown.
//
// Directions: AnyDesk words them from the controlling side (it downloads from
// or uploads to the controlled PC). The file is kept by the service of the
// controlled PC, so download is mapped to from_host and upload to to_host;
// each record says so in Notes.
type FileTransfer struct{}

func (FileTransfer) Name() string { return "anydesk-file-transfer" }
func (FileTransfer) Tool() string { return tool }

const ftRule = "UTC as written (file_transfer_trace.txt, minute resolution)"

// groupGap: transfers further apart than this start a new record.
const groupGap = 30 * time.Minute

// Sniff: the third tab field is the documented date.
func (FileTransfer) Sniff(head []byte, name string) bool {
	if len(head) >= 4 && head[1] == 0 && head[3] == 0 || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) {
		var b []byte
		for i := 0; i+1 < len(head); i += 2 {
			if head[i] != 0xFF && head[i] != 0xFE {
				b = append(b, head[i])
			}
		}
		head = b
	}
	f := bytes.SplitN(head, []byte{'\t'}, 4)
	if len(f) < 4 {
		return false
	}
	_, ok := parseDateMinute(f[2])
	return ok
}

// parseSize reads "4.20 MiB" / "512 B" / "1.5 KB" to bytes (0 if unknown).
func parseSize(s string) int64 {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	mul := map[string]float64{"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[strings.ToLower(strings.TrimRight(f[1], ").,"))]
	if mul == 0 || v*mul > math.MaxInt64/2 {
		return 0
	}
	return int64(v*mul + 0.5)
}

func (FileTransfer) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	p := FileTransfer{}
	rd, err := open(p.Name(), in)
	if err != nil {
		return sessionlog.Result{}, err
	}
	var res sessionlog.Result
	var b bounds
	var cur *session.Record
	var last time.Time
	rows := 0
	flush := func() {
		if cur != nil {
			cur.End = session.T(last)
			cur.Finish()
			res.Sessions = append(res.Sessions, *cur)
			cur = nil
		}
	}
	for rd.Next() {
		l := rd.Bytes()
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		f := bytes.Split(l, []byte{'\t'})
		if len(f) < 6 {
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "not a file_transfer_trace row"})
			continue
		}
		t, ok := parseDateMinute(bytes.TrimSpace(f[2]))
		if !ok {
			res.Errors = append(res.Errors, sessionlog.ParseError{Line: rd.N(), Offset: rd.Offset(), Msg: "bad date in file_transfer_trace row"})
			continue
		}
		rows++
		b.see(t)
		mech := strings.TrimSpace(string(f[0]))
		state := strings.TrimSpace(string(f[3]))
		verb := strings.ToLower(strings.TrimSpace(string(f[4])))
		rest := string(bytes.Join(f[5:], []byte{'\t'}))
		name, progress := rest, ""
		if strings.HasPrefix(rest, "'") {
			if k := strings.LastIndex(rest, "'"); k > 0 {
				name, progress = rest[1:k], rest[k+1:]
			}
		}
		var size int64
		if k := strings.Index(progress, "out of "); k >= 0 {
			size = parseSize(strings.TrimSuffix(strings.TrimSpace(progress[k+7:]), ")"))
		}
		dir := "unknown"
		switch verb {
		case "download":
			dir = "from_host"
		case "upload":
			dir = "to_host"
		}
		if cur != nil && t.Sub(last) > groupGap {
			flush()
		}
		if cur == nil {
			cur = &session.Record{Tool: tool, Parser: p.Name(), Direction: session.DirectionUnknown, Outcome: session.Established,
				Start: session.T(t), TimeRule: ftRule, MinuteTimes: true,
				Notes: []string{"file_transfer_trace.txt names no peer; download mapped to from_host, upload to to_host (AnyDesk words them from the controlling side)"}}
		}
		last = t
		// A later state line (finish …) of a file already started is the
		// same transfer; a new "start" is a new one.
		dup := false
		if !strings.EqualFold(state, "start") {
			for k := len(cur.Transfers) - 1; k >= 0; k-- {
				x := &cur.Transfers[k]
				if x.Name == name && x.Direction == dir {
					dup = true
					if x.Size == 0 {
						x.Size = size
					}
					break
				}
			}
		}
		if !dup {
			cur.Transfers = append(cur.Transfers, session.Transfer{Time: session.T(t), Direction: dir, Name: name, Size: size, Line: rd.N()})
		}
		cur.Notes = appendOnce(cur.Notes, fmt.Sprintf("%s %s %s: %s", mech, verb, state, name))
		cur.Evidence = append(cur.Evidence, ev(p.Name(), &in, rd.N(), rd.Offset(), l, session.T(t), mech+" "+verb+" "+state+" "+name, "transfers", "outcome"))
	}
	flush()
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		res.Errors = append(res.Errors, sessionlog.ParseError{Offset: rd.Offset(), Msg: err.Error()})
	}
	res.FirstTime, res.LastTime = b.first, b.last
	if rows == 0 && len(res.Errors) > 0 {
		return res, fmt.Errorf("%s: %s: no file_transfer_trace row (first problem at offset %d)", p.Name(), in.Path, res.Errors[0].Offset)
	}
	return res, nil
}
