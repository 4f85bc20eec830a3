// Package anydesk reads AnyDesk's own text logs: the traces (ad.trace,
// ad_svc.trace, Linux/macOS anydesk.trace), connection_trace.txt and
// file_transfer_trace.txt, and reconstructs remote-control sessions from them.
//
// Formats: /work/shared/research/session-artifacts.md §1 (real Linux 7.1.0
// traces in shared/samples/anydesk, Windows lines quoted from write-ups).
// Every AnyDesk artifact writes UTC.
package anydesk

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/lineio"
)

const tool = "anydesk"

// Parsers returns the AnyDesk parsers.
func Parsers() []sessionlog.Parser {
	return []sessionlog.Parser{Trace{}, ConnectionTrace{}, FileTransfer{}}
}

func num2(b []byte) (int, bool) {
	if len(b) < 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

func num4(b []byte) (int, bool) {
	h, ok1 := num2(b)
	l, ok2 := num2(b[2:])
	return h*100 + l, ok1 && ok2
}

// parseYMDHMS reads "YYYY-MM-DD HH:MM:SS" at the start of b, with an optional
// ".mmm" fraction; sep is the date/time separator (' ' or ", ").
func parseDateTime(b []byte, sep string) (time.Time, int, bool) {
	n := 10 + len(sep) + 8
	if len(b) < n || b[4] != '-' || b[7] != '-' || string(b[10:10+len(sep)]) != sep {
		return time.Time{}, 0, false
	}
	y, ok1 := num4(b)
	mo, ok2 := num2(b[5:])
	d, ok3 := num2(b[8:])
	t := b[10+len(sep):]
	if t[2] != ':' || t[5] != ':' {
		return time.Time{}, 0, false
	}
	h, ok4 := num2(t)
	mi, ok5 := num2(t[3:])
	s, ok6 := num2(t[6:])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, 0, false
	}
	ns := 0
	if len(b) > n && b[n] == '.' {
		k := n + 1
		mul := 100000000
		for k < len(b) && b[k] >= '0' && b[k] <= '9' && mul > 0 {
			ns += int(b[k]-'0') * mul
			mul /= 10
			k++
		}
		n = k
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), n, true
}

// parseHHMM reads "YYYY-MM-DD, HH:MM" (connection_trace / file_transfer_trace).
func parseDateMinute(b []byte) (time.Time, bool) {
	if len(b) < 17 || b[4] != '-' || b[7] != '-' || b[10] != ',' || b[11] != ' ' || b[14] != ':' {
		return time.Time{}, false
	}
	y, ok1 := num4(b)
	mo, ok2 := num2(b[5:])
	d, ok3 := num2(b[8:])
	h, ok4 := num2(b[12:])
	mi, ok5 := num2(b[15:])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, 0, 0, time.UTC), true
}

// bounds tracks Result.FirstTime/LastTime.
type bounds struct{ first, last *time.Time }

func (b *bounds) see(t time.Time) {
	if b.first == nil || t.Before(*b.first) {
		b.first = session.T(t)
	}
	if b.last == nil || t.After(*b.last) {
		b.last = session.T(t)
	}
}

func ev(parser string, in *sessionlog.Input, n int, off int64, line []byte, t *time.Time, summary string, fields ...string) evidence.Evidence {
	return evidence.Evidence{
		Kind:    evidence.KindLogLine,
		Scanner: parser,
		Summary: summary,
		Path:    in.Path,
		Line:    n,
		Offset:  off,
		Raw:     evidence.Clip(string(line)),
		Fields:  fields,
		Time:    t,
	}
}

// open prepares a line reader and rejects binary input with the offset.
func open(parser string, in sessionlog.Input) (*lineio.Reader, error) {
	if in.R == nil {
		return nil, fmt.Errorf("%s: no input", parser)
	}
	rd := lineio.NewReader(in.R)
	if err := rd.Check(); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", parser, in.Path, err)
	}
	return rd, nil
}

// splitHostPort accepts "1.2.3.4:5", "[fe80::1]:7070" and a bare address.
func splitHostPort(s string) (string, uint32) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return s, 0
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return h, 0
	}
	return h, uint32(port)
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// between returns the text after prefix up to (not including) the first stop
// byte sequence, or nil.
func after(msg []byte, prefix string) []byte {
	i := bytes.Index(msg, []byte(prefix))
	if i < 0 {
		return nil
	}
	return msg[i+len(prefix):]
}

func upto(b []byte, stop string) []byte {
	if i := bytes.Index(b, []byte(stop)); i >= 0 {
		return b[:i]
	}
	return b
}

func key(dir session.Direction, id, ip string) string {
	peer := id
	if peer == "" {
		peer = ip
	}
	if peer == "" {
		return ""
	}
	return tool + "|" + string(dir) + "|" + peer
}
