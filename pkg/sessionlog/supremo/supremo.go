// Package supremo reads Supremo's own logs in
// %ProgramData%\SupremoRemoteDesktop\Log\ (session-artifacts.md §10):
//
//	Supremo.00.Incoming.log      incoming connections, the remote host name ("[Incoming]")
//	Supremo.00.Client.log        "Connected with ID <id>"
//	Supremo.00.ReportsQueue.log  session start / end ("Supremo Closed")
//	Supremo.00.FileTransfer.log  "[File Transfer]" "Received file …" / "Sent file …"
//
// The layout is second-hand (Ruler / JPCERT JSAC2023, KAPE): no sample
// exists. What is documented is the timestamp "YYYY-MM-DD HH:MM:SS:SSS"
// (local time: converted with Input.Location) and the grep markers above.
// The parser is tolerant: it finds the timestamp near the start of the line,
// then the markers anywhere in the rest, and takes IDs (a run of 6–12
// digits) and host names from the text around them. Assumed, not
// documented: "[Incoming]" lines are established incoming connections (it is
// a connection log); "Connected with ID" lines are connections of unknown
// direction unless the line or file says Incoming/Outgoing; "Supremo Closed"
// ends every open session of the file (the program closed); "session
// started/ended" lines of ReportsQueue.log start and end one; a received
// file went to this PC, a sent file left it.
package supremo

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

const (
	tool        = "supremo"
	name        = "supremo"
	maxEvidence = 200
	xferGap     = time.Hour
	layoutNote  = "Supremo log layout from second-hand documentation (Ruler/JPCERT, KAPE); no sample verified"
)

// Parser is the "supremo" parser.
type Parser struct{}

func New() Parser { return Parser{} }

func (Parser) Name() string { return name }
func (Parser) Tool() string { return tool }

// Sniff: a Supremo timestamp and one of the documented markers in the head.
func (Parser) Sniff(head []byte, _ string) bool {
	head = logkit.TextHead(head)
	for len(head) > 0 {
		var l []byte
		l, head, _ = bytes.Cut(head, []byte{'\n'})
		if _, k, ok := stamp(l); ok && documented(l[k:]) {
			return true
		}
	}
	return false
}

// stamp finds "YYYY-MM-DD HH:MM:SS:SSS" (also with '.' or ',' before the
// milliseconds, or none) in the first 40 bytes; k is the index after it.
type ts struct{ y, mo, d, h, mi, s, ms int }

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func stamp(l []byte) (ts, int, bool) {
	var dc dateCache
	var t ts
	k, ok := dc.stamp(l, &t)
	return t, k, ok
}

// dateCache remembers the last date read at a line's start (the lines of a
// day share it).
type dateCache struct {
	date     [10]byte
	y, mo, d int
	ok       bool
}

// stamp is stamp(l), the time written to *t.
func (c *dateCache) stamp(l []byte, t *ts) (int, bool) {
	if k, ok := c.stampAt0(l, t); ok {
		return k, true
	}
	var k int
	var ok bool
	*t, k, ok = stampSearch(l)
	return k, ok
}

func stampSearch(l []byte) (ts, int, bool) {
	for i := 0; i+19 <= len(l) && i <= 40; i++ {
		if l[i] < '0' || l[i] > '9' {
			continue
		}
		b := l[i:]
		if b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
			continue
		}
		var t ts
		var ok [6]bool
		t.y, ok[0] = num(b[0:4])
		t.mo, ok[1] = num(b[5:7])
		t.d, ok[2] = num(b[8:10])
		t.h, ok[3] = num(b[11:13])
		t.mi, ok[4] = num(b[14:16])
		t.s, ok[5] = num(b[17:19])
		if ok != [6]bool{true, true, true, true, true, true} || t.mo < 1 || t.mo > 12 || t.d < 1 || t.d > 31 || t.h > 23 || t.mi > 59 || t.s > 60 {
			continue
		}
		k := i + 19
		if len(b) >= 23 && (b[19] == ':' || b[19] == '.' || b[19] == ',') {
			if ms, okm := num(b[20:23]); okm {
				t.ms, k = ms, i+23
			}
		}
		return t, k, true
	}
	return ts{}, 0, false
}

func d2(b []byte) (int, bool) {
	return int(b[0]-'0')*10 + int(b[1]-'0'), b[0]-'0' < 10 && b[1]-'0' < 10
}

// stampAt0 is stamp for the usual line, with the time at its start; ok is
// false when stamp must search (the result is then the same as stamp's).
func (c *dateCache) stampAt0(b []byte, t *ts) (int, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	if !c.ok || string(b[:10]) != string(c.date[:]) {
		y1, ok1 := d2(b[0:])
		y2, ok2 := d2(b[2:])
		mo, ok3 := d2(b[5:])
		d, ok4 := d2(b[8:])
		if !(ok1 && ok2 && ok3 && ok4) || mo < 1 || mo > 12 || d < 1 || d > 31 {
			return 0, false
		}
		c.y, c.mo, c.d, c.ok = y1*100+y2, mo, d, true
		copy(c.date[:], b)
	}
	h, ok5 := d2(b[11:])
	mi, ok6 := d2(b[14:])
	sec, ok7 := d2(b[17:])
	if !(ok5 && ok6 && ok7) || h > 23 || mi > 59 || sec > 60 {
		return 0, false
	}
	t.y, t.mo, t.d, t.h, t.mi, t.s, t.ms = c.y, c.mo, c.d, h, mi, sec, 0
	k := 19
	if len(b) >= 23 && (b[19] == ':' || b[19] == '.' || b[19] == ',') {
		if ms, okm := num(b[20:23]); okm {
			t.ms, k = ms, 23
		}
	}
	return k, true
}

func (t ts) in(loc *time.Location) time.Time {
	return time.Date(t.y, time.Month(t.mo), t.d, t.h, t.mi, t.s, t.ms*1e6, loc).UTC()
}

type mark int

const (
	mNone mark = iota
	mIncoming
	mConnected
	mClosed
	mStart
	mEnd
	mRecv
	mSent
)

var (
	kIncoming  = []byte("[Incoming]")
	kConnected = []byte("Connected with ID")
	kClosed    = []byte("Supremo Closed")
	kFT        = []byte("[File Transfer]")
	kRecv      = []byte("Received file")
	kSent      = []byte("Sent file")
	startRE    = regexp.MustCompile(`(?i)\bsession\s+(?:started|start|begin|opened)\b`)
	endRE      = regexp.MustCompile(`(?i)\bsession\s+(?:ended|end|closed|stopped|terminated)\b`)
	idRE       = regexp.MustCompile(`(?:^|[^0-9])([0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{3}|[0-9]{6,12})(?:[^0-9]|$)`)
	hostRE     = regexp.MustCompile(`(?i)\b(?:from|host\s*name|host|computer(?:\s*name)?|pc(?:\s*name)?|name)\s*[:=]?\s*["']?([^\s"',;|()\[\]]+)`)
	sizeRE     = regexp.MustCompile(`(?i)\(?\s*(?:size\s*[:=]?\s*)?([0-9]+)\s*bytes\s*\)?`)
)

// The markers as strings.
const (
	sIncoming  = "[Incoming]"
	sConnected = "Connected with ID"
	sRecv      = "Received file"
	sSent      = "Sent file"
	sClosed    = "Supremo Closed"
)

// documented: one of the documented greps (Sniff uses these only, not the
// assumed "session started/ended" wording).
func documented(m []byte) bool {
	for _, k := range [][]byte{kIncoming, kConnected, kClosed, kFT, kRecv, kSent} {
		if bytes.Contains(m, k) {
			return true
		}
	}
	return false
}

// contains is bytes.Contains(m, k): k's first byte found with IndexByte
// (the markers start with bytes rarer than their letters).
func contains(m []byte, k string) bool {
	for i := 0; ; i++ {
		j := bytes.IndexByte(m[i:], k[0])
		if j < 0 {
			return false
		}
		i += j
		if len(m)-i >= len(k) && string(m[i:i+len(k)]) == k {
			return true
		}
	}
}

func marker(m []byte) mark {
	switch {
	case contains(m, sRecv):
		return mRecv
	case contains(m, sSent):
		return mSent
	case contains(m, sClosed):
		return mClosed
	case contains(m, sConnected):
		return mConnected
	case contains(m, sIncoming):
		return mIncoming
	case bytes.Contains(m, []byte("ession")) && sessionWord(m, startWords):
		return mStart
	case bytes.Contains(m, []byte("ession")) && sessionWord(m, endWords):
		return mEnd
	}
	return mNone
}

func isWord(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// boundary is RE2's \b (ASCII word boundary) at s[i].
func boundary[S ~string | ~[]byte](s S, i int) bool {
	return (i > 0 && isWord(s[i-1])) != (i < len(s) && isWord(s[i]))
}

// lit matches word (lower-case ASCII letters) at s[i:] as (?i) does: any
// case, and ſ (U+017F) for s, the Kelvin sign for k (the only non-ASCII
// runes these letters fold to). It returns the index after it, or -1.
func lit[S ~string | ~[]byte](s S, i int, word string) int {
	for j := 0; j < len(word); j++ {
		c := word[j]
		switch {
		case i < len(s) && s[i]|0x20 == c:
			i++
		case c == 's' && i+1 < len(s) && s[i] == 0xC5 && s[i+1] == 0xBF:
			i += 2
		case c == 'k' && i+2 < len(s) && s[i] == 0xE2 && s[i+1] == 0x84 && s[i+2] == 0xAA:
			i += 3
		default:
			return -1
		}
	}
	return i
}

var (
	startWords = []string{"started", "start", "begin", "opened"}
	endWords   = []string{"ended", "end", "closed", "stopped", "terminated"}
)

// sessionWord is startRE (startWords) or endRE (endWords) matching s:
// (?i)\bsession\s+(?:words…)\b.
func sessionWord[S ~string | ~[]byte](s S, words []string) bool {
	for q := 0; q < len(s); q++ {
		if !boundary(s, q) {
			continue
		}
		i := lit(s, q, "session")
		if i < 0 || i == len(s) || !isSpaceRE(s[i]) {
			continue
		}
		for i < len(s) && isSpaceRE(s[i]) {
			i++
		}
		for _, w := range words {
			// Each word ends in an ASCII letter: \b follows it when the
			// next byte is no word byte.
			if e := lit(s, i, w); e >= 0 && (e == len(s) || !isWord(s[e])) {
				return true
			}
		}
	}
	return false
}

// hostMatch is hostRE.FindStringSubmatchIndex(s)'s group, or ok false:
// the first \b where one of the words starts a match.
func hostMatch(s string) (a, b int, ok bool) {
	for q := 0; q < len(s); q++ {
		if !boundary(s, q) {
			continue
		}
		// The alternatives, in order, each with its ends in order.
		var ends [8]int
		n := 0
		addEnd := func(e int) {
			if e >= 0 {
				ends[n] = e
				n++
			}
		}
		addEnd(lit(s, q, "from"))
		if h := lit(s, q, "host"); h >= 0 {
			j := h
			for j < len(s) && isSpaceRE(s[j]) {
				j++
			}
			addEnd(lit(s, j, "name"))
			addEnd(h)
		}
		for _, w := range []string{"computer", "pc"} {
			if c := lit(s, q, w); c >= 0 {
				j := c
				for j < len(s) && isSpaceRE(s[j]) {
					j++
				}
				addEnd(lit(s, j, "name"))
				addEnd(c)
			}
		}
		addEnd(lit(s, q, "name"))
		for _, e := range ends[:n] {
			if a, b, ok := hostTail(s, e); ok {
				return a, b, true
			}
		}
	}
	return 0, 0, false
}

func hostChar(c byte) bool {
	return !isSpaceRE(c) && strings.IndexByte(`"',;|()[]`, c) < 0
}

// hostTail matches \s*[:=]?\s*["']?([^\s"',;|()\[\]]+) at s[e:], trying
// its choices in the regexp's order (greedy first).
func hostTail(s string, e int) (int, int, bool) {
	ws1 := e
	for ws1 < len(s) && isSpaceRE(s[ws1]) {
		ws1++
	}
	for p1 := ws1; p1 >= e; p1-- {
		sep := []int{p1}
		if p1 < len(s) && (s[p1] == ':' || s[p1] == '=') {
			sep = []int{p1 + 1, p1}
		}
		for _, p2 := range sep {
			ws2 := p2
			for ws2 < len(s) && isSpaceRE(s[ws2]) {
				ws2++
			}
			for p3 := ws2; p3 >= p2; p3-- {
				q := []int{p3}
				if p3 < len(s) && (s[p3] == '"' || s[p3] == '\'') {
					q = []int{p3 + 1, p3}
				}
				for _, p4 := range q {
					j := p4
					for j < len(s) && hostChar(s[j]) {
						j++
					}
					if j > p4 {
						return p4, j, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// idIndex is the bounds of idRE's group in s, or -1, -1. The group starts a
// run of digits (after ^ or a non-digit); "ddd[ ]ddd[ ]ddd" is preferred,
// then 6–12 digits, each followed by a non-digit or the end.
func idIndex(s string) (int, int) {
	for g := 0; g < len(s); g++ {
		if !isDigit(s[g]) || g > 0 && isDigit(s[g-1]) {
			continue
		}
		i, ok := g, true
		for k := 0; k < 3 && ok; k++ {
			if k > 0 && i < len(s) && s[i] == ' ' {
				i++
			}
			ok = i+3 <= len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2])
			i += 3
		}
		if ok && (i == len(s) || !isDigit(s[i])) {
			return g, i
		}
		n := g
		for n < len(s) && isDigit(s[n]) {
			n++
		}
		if n-g >= 6 && n-g <= 12 {
			return g, n
		}
	}
	return -1, -1
}

// remoteID returns the first 6–12 digit number (Supremo IDs are 9 digits,
// often written "123 456 789") after the marker; one written with spaces is
// stored without them in txt.
func remoteID(s string, txt *logkit.Text) string {
	a, b := idIndex(s)
	if a < 0 {
		return ""
	}
	id := s[a:b]
	if strings.IndexByte(id, ' ') < 0 {
		return id
	}
	var d [12]byte
	n := 0
	for i := 0; i < len(id); i++ {
		if id[i] != ' ' {
			d[n] = id[i]
			n++
		}
	}
	return txt.Str(txt.Add(d[:n]))
}

// containsWord: s contains a+rest or b+rest (one scan for both).
func containsWord(s, rest string, a, b byte) bool {
	for i := 1; i < len(s); {
		j := strings.Index(s[i:], rest)
		if j < 0 {
			return false
		}
		i += j
		if s[i-1] == a || s[i-1] == b {
			return true
		}
		i++
	}
	return false
}

func after(s, k string) string {
	if i := strings.Index(s, k); i >= 0 {
		return strings.TrimSpace(s[i+len(k):])
	}
	return ""
}

func isSpaceRE(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' } // RE2's \s

// sizeIndex is sizeRE.FindStringSubmatchIndex(s). Every match holds a run
// of digits followed by \s* and "bytes" (any case, ſ for s); the leftmost
// match holds the first such run D (a match ending at a later run would
// start after D, where one starting at D exists), and starts at most as
// far before D as the optional "(", white space, "size", ":" or "=" reach.
// The anchored pattern is run from there on.
func sizeIndex(s string) (m [4]int, ok bool) {
	d := -1
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		k := j
		for k < len(s) && isSpaceRE(s[k]) {
			k++
		}
		if k+4 <= len(s) && s[k]|0x20 == 'b' && s[k+1]|0x20 == 'y' && s[k+2]|0x20 == 't' && s[k+3]|0x20 == 'e' &&
			(k+5 <= len(s) && s[k+4]|0x20 == 's' || strings.HasPrefix(s[k+4:], "ſ")) {
			d = i
			break
		}
		i = j
	}
	if d < 0 {
		return m, false
	}
	w := d
	for w > 0 && (isSpaceRE(s[w-1]) || strings.IndexByte("(:=sizeSIZE\xC5\xBF", s[w-1]) >= 0) {
		w--
	}
	for q := w; q <= d; q++ {
		if m, ok := sizeFrom(s, q); ok {
			return m, true
		}
	}
	return m, false
}

// sizeFrom is sizeRE's match anchored at q, or nil. Every part of the
// pattern is forced (an optional part not taken leaves text no later part
// can read), so it reads straight through.
func sizeFrom(s string, q int) (m [4]int, ok bool) {
	i := q
	if i < len(s) && s[i] == '(' {
		i++
	}
	for i < len(s) && isSpaceRE(s[i]) {
		i++
	}
	if n := sizeWord(s[i:]); n > 0 {
		j := i + n
		for j < len(s) && isSpaceRE(s[j]) {
			j++
		}
		if j < len(s) && (s[j] == ':' || s[j] == '=') {
			j++
		}
		for j < len(s) && isSpaceRE(s[j]) {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			i = j
		}
	}
	g := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == g {
		return m, false
	}
	ge := i
	for i < len(s) && isSpaceRE(s[i]) {
		i++
	}
	if !(i+4 <= len(s) && s[i]|0x20 == 'b' && s[i+1]|0x20 == 'y' && s[i+2]|0x20 == 't' && s[i+3]|0x20 == 'e') {
		return m, false
	}
	switch {
	case i+5 <= len(s) && s[i+4]|0x20 == 's':
		i += 5
	case strings.HasPrefix(s[i+4:], "ſ"):
		i += 6
	default:
		return m, false
	}
	for i < len(s) && isSpaceRE(s[i]) {
		i++
	}
	if i < len(s) && s[i] == ')' {
		i++
	}
	return [4]int{q, i, g, ge}, true
}

// sizeWord is the length of "size" (any case, ſ for s) at the start of s, or 0.
func sizeWord(s string) int {
	n := 0
	switch {
	case len(s) > 0 && s[0]|0x20 == 's':
		n = 1
	case strings.HasPrefix(s, "ſ"):
		n = 2
	default:
		return 0
	}
	if len(s) >= n+3 && s[n]|0x20 == 'i' && s[n+1]|0x20 == 'z' && s[n+2]|0x20 == 'e' {
		return n + 3
	}
	return 0
}

// scanSize is fmt.Sscan(d, &size) for a run of digits d: decimal, or
// octal after a leading 0 (up to the first 8 or 9, the rest unread); 0
// when the value overflows.
func scanSize(d string) int64 {
	base := 10
	if d[0] == '0' {
		base = 8
		j := 1
		for j < len(d) && d[j] >= '0' && d[j] <= '7' {
			j++
		}
		d = d[:j]
	}
	v, err := strconv.ParseInt(d, base, 64)
	if err != nil {
		return 0
	}
	return v
}

// fileName cleans the text after "Received file"/"Sent file".
func fileName(s string) (string, int64) {
	s = strings.TrimSpace(strings.TrimLeft(s, " :-="))
	var size int64
	if m, ok := sizeIndex(s); ok {
		size = scanSize(s[m[2]:m[3]])
		switch {
		case m[0] == 0:
			s = strings.TrimSpace(s[m[1]:])
		case m[1] == len(s):
			s = strings.TrimSpace(s[:m[0]])
		default:
			s = strings.TrimSpace(s[:m[0]] + s[m[1]:])
		}
	}
	if len(s) > 1 && (s[0] == '"' || s[0] == '\'') {
		if j := strings.IndexByte(s[1:], s[0]); j >= 0 {
			return s[1 : j+1], size
		}
	}
	for _, sep := range []string{" from ", " to ", " | "} {
		if i := strings.LastIndex(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return strings.Trim(strings.TrimSpace(s), `"'`), size
}

// Evidence field lists, shared and read only (len == cap: an append
// copies): connFields[bits] for the connect lines (1 start/direction/
// outcome, 2 direction, 4 remote_id, 8 remote_name).
var (
	connFields = func() (t [16][]string) {
		for b := range t {
			var f []string
			if b&1 != 0 {
				f = append(f, "start", "direction", "outcome")
			}
			if b&2 != 0 {
				f = append(f, "direction")
			}
			if b&4 != 0 {
				f = append(f, "remote_id")
			}
			if b&8 != 0 {
				f = append(f, "remote_name")
			}
			if f == nil {
				f = []string{"outcome"}
			}
			t[b] = f[:len(f):len(f)]
		}
		return t
	}()
	fStartOutcomeID = []string{"start", "outcome", "remote_id"}
	fEndOutcome     = []string{"end", "outcome"}
	fEnd            = []string{"end"}
	fTransfers      = []string{"transfers"}
	fTransfersOut   = []string{"transfers", "outcome"}
)

type sess struct {
	r       session.Record
	closed  bool
	dropped int
	notes   [3]string // room for the usual notes
}

func (p Parser) Parse(in sessionlog.Input) (sessionlog.Result, error) {
	var res sessionlog.Result
	if in.R == nil {
		return res, fmt.Errorf("%s: no input", name)
	}
	rd, err := logkit.OpenText(in.R)
	if err != nil {
		return res, fmt.Errorf("%s: %s: %w", name, in.Path, err)
	}
	loc, zname := logkit.Zone(in.Location)
	rule := "local time in " + zname + " converted to UTC (Supremo writes no zone)"
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(in.Path, `\`, "/")))
	fileDir := session.DirectionUnknown
	switch {
	case strings.Contains(base, "incoming"):
		fileDir = session.Incoming
	case strings.Contains(base, "outgoing"):
		fileDir = session.Outgoing
	}
	var (
		errs     logkit.ErrList
		all      []*sess
		live     []*sess
		closing  []*sess
		txt      logkit.Text
		evs      logkit.Slab[evidence.Evidence]
		xfers    logkit.Slab[session.Transfer]
		sessions logkit.Slab[sess]
		times    logkit.Slab[time.Time]
		lastP    *time.Time // the last time stored, shared while it repeats
		buf      []byte
		stamped  int
		xferOnly *sess // transfers with no open session are grouped while at most xferGap apart
		xferLast time.Time
		lastTS   ts
		haveLast bool
		first    time.Time
		last     time.Time
		seen     bool
	)
	see := func(t time.Time) {
		if !seen || t.Before(first) {
			first = t
		}
		if !seen || t.After(last) {
			last = t
		}
		seen = true
	}
	var dc dateCache
	var st ts
	for rd.Next() {
		l := rd.Bytes()
		k, ok := dc.stamp(l, &st)
		if !ok {
			continue
		}
		stamped++
		m := marker(l[k:])
		if m == mNone {
			if stamped == 1 {
				see(st.in(loc))
			}
			lastTS, haveLast = st, true
			continue
		}
		haveLast = false
		t := st.in(loc)
		see(t)
		if rd.Truncated() {
			errs.Add(rd.N(), rd.Offset(), "line longer than %d bytes cut", 1<<20)
		}
		if m == mClosed && len(live) == 0 {
			continue // the program closed with no session open: not a session fact
		}
		// tp is the line's time, stored once (and shared with the lines
		// before while it repeats).
		tp := func() *time.Time {
			if lastP == nil || !lastP.Equal(t) {
				lastP = &times.Alloc(1)[0]
				*lastP = t
			}
			return lastP
		}
		line := txt.Str(txt.Add(l))
		msg := strings.TrimSpace(line[k:])
		n, off := rd.N(), rd.Offset()
		raw := evidence.Clip(line)
		// room tells whether s takes one more evidence line (it counts
		// the ones it does not).
		room := func(s *sess) bool {
			if len(s.r.Evidence) >= maxEvidence {
				s.dropped++
				return false
			}
			return true
		}
		add := func(s *sess, summary string, fields []string) {
			s.r.Evidence = append(s.r.Evidence, evidence.Evidence{Kind: evidence.KindLogLine, Scanner: name, Summary: summary,
				Path: in.Path, Line: n, Offset: off, Raw: raw, Fields: fields, Time: tp()})
		}
		lineDir := fileDir
		switch {
		case m == mIncoming || containsWord(msg, "ncoming", 'I', 'i'):
			lineDir = session.Incoming
		case containsWord(msg, "utgoing", 'O', 'o'):
			lineDir = session.Outgoing
		}
		newSess := func(start bool) *sess {
			s := &sessions.Alloc(1)[0]
			s.r.Tool, s.r.Parser, s.r.Direction, s.r.Outcome, s.r.TimeRule = tool, name, lineDir, session.Established, rule
			s.r.Evidence = evs.Alloc(4)[:0]
			s.r.Notes = s.notes[:0]
			s.r.Notes = append(s.r.Notes, layoutNote)
			if lineDir == session.DirectionUnknown {
				s.r.Notes = append(s.r.Notes, "direction not written on the line: unknown")
			}
			if start {
				s.r.Start = tp()
			}
			all = append(all, s)
			live = append(live, s)
			return s
		}
		latest := func() *sess {
			if len(live) > 0 {
				return live[len(live)-1]
			}
			return nil
		}
		closeSess := func(s *sess) {
			s.closed = true
			s.r.End = tp()
			for i, x := range live {
				if x == s {
					live = append(live[:i], live[i+1:]...)
					break
				}
			}
		}
		switch m {
		case mIncoming, mConnected:
			id := remoteID(after(msg, sConnected), &txt)
			if m == mIncoming {
				id = remoteID(after(msg, sIncoming), &txt)
			}
			// An [Incoming] line and the "Connected with ID" line of the
			// same connection (same second, one open session with no
			// such line yet) are one session.
			var s *sess
			if c := latest(); c != nil && c.r.Start != nil && t.Sub(*c.r.Start) <= 5*time.Second && t.Sub(*c.r.Start) >= 0 &&
				(id == "" || c.r.RemoteID == "" || c.r.RemoteID == id) {
				s = c
			}
			fields := 1 // start, direction, outcome
			if s == nil {
				s = newSess(true)
			} else {
				fields = 0
				if lineDir != session.DirectionUnknown && s.r.Direction == session.DirectionUnknown {
					s.r.Direction = lineDir
					fields |= 2
				}
			}
			if id != "" && s.r.RemoteID == "" {
				s.r.RemoteID = id
				fields |= 4
			}
			host := ""
			if m == mIncoming {
				rest := after(msg, sIncoming)
				if a, b, ok := hostMatch(rest); ok {
					host = rest[a:b]
				} else if f := strings.Fields(rest); len(f) == 1 && f[0] != id {
					host = strings.Trim(f[0], `"'`)
				}
				if host != "" && host != id && s.r.RemoteName == "" {
					s.r.RemoteName = host
					fields |= 8
				}
			}
			if room(s) {
				if m == mIncoming {
					buf = strconv.AppendQuote(append(buf[:0], "Supremo: incoming connection from "...), host)
					buf = append(append(append(buf, " (ID "...), id...), ')')
				} else {
					buf = append(append(buf[:0], "Supremo: connected with ID "...), id...)
				}
				add(s, txt.Str(txt.Add(buf)), connFields[fields])
			}
		case mStart:
			s := newSess(true)
			if id := remoteID(msg, &txt); id != "" {
				s.r.RemoteID = id
			}
			if room(s) {
				add(s, "Supremo: session started", fStartOutcomeID)
			}
		case mEnd:
			s := latest()
			if s == nil {
				s = newSess(false)
				s.r.Notes = append(s.r.Notes, "session start not in this log: start unknown")
				closeSess(s)
				if room(s) {
					add(s, "Supremo: session ended", fEndOutcome)
				}
				continue
			}
			closeSess(s)
			if room(s) {
				add(s, "Supremo: session ended", fEnd)
			}
		case mClosed:
			closing = append(closing[:0], live...)
			for _, s := range closing {
				closeSess(s)
				s.r.Notes = append(s.r.Notes, "end = \"Supremo Closed\" (the program closed)")
				if room(s) {
					add(s, "Supremo closed", fEnd)
				}
			}
		case mRecv, mSent:
			dir, verb, k := "to_host", "received", sRecv
			if m == mSent {
				dir, verb, k = "from_host", "sent", sSent
			}
			fname, size := fileName(after(msg, k))
			s := latest()
			fields := fTransfers
			if s == nil && xferOnly != nil && t.Sub(xferLast) >= 0 && t.Sub(xferLast) <= xferGap {
				s = xferOnly
			} else if s == nil {
				s = newSess(false)
				xferOnly = s
				s.r.Notes = append(s.r.Notes, "file transfer line; the session's start and end are not in this log")
				closeSess(s)
				s.r.End = nil
				fields = fTransfersOut
			}
			xferLast = t
			if s.r.Transfers == nil {
				s.r.Transfers = xfers.Alloc(2)[:0]
			}
			s.r.Transfers = append(s.r.Transfers, session.Transfer{Time: tp(), Direction: dir, Name: fname, Size: size, Line: n})
			if room(s) {
				buf = append(append(append(append(buf[:0], "Supremo: file "...), verb...), ": "...), fname...)
				add(s, txt.Str(txt.Add(buf)), fields)
			}
		}
	}
	if haveLast {
		see(lastTS.in(loc))
	}
	if seen {
		res.FirstTime, res.LastTime = session.T(first), session.T(last)
	}
	res.Lines = rd.N()
	if err := rd.Err(); err != nil {
		errs.Add(0, rd.Offset(), "read: %v", err)
	}
	res.Errors = errs.Result()
	if res.Lines > 0 && stamped == 0 {
		return res, fmt.Errorf("%s: %s: no line with a Supremo timestamp (YYYY-MM-DD HH:MM:SS:SSS)", name, in.Path)
	}
	if len(all) > 0 {
		res.Sessions = make([]session.Record, len(all))
	}
	for i, s := range all {
		if s.dropped > 0 {
			s.r.Notes = append(s.r.Notes, fmt.Sprintf("%d more lines not listed as evidence", s.dropped))
		}
		if s.r.RemoteID != "" {
			s.r.Key = txt.Str(txt.Cat(tool+"|", []byte(s.r.RemoteID)))
		}
		// s.r.Finish(), the duration kept in txt
		r := &s.r
		r.Open = r.Start != nil && r.End == nil
		if r.Start != nil && r.End != nil && !r.End.Before(*r.Start) {
			r.Duration = txt.Str(txt.Duration(r.End.Sub(*r.Start)))
		}
		res.Sessions[i] = s.r
	}
	return res, nil
}
