package eventlog

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ratwatch/ratwatch/pkg/evidence"
)

// field is one EventData / UserData value. Unnamed <Data> elements (classic
// ReportEvent sources such as ScreenConnect and chromoting) have Name "".
type field struct {
	Name, Value string
}

// event is one decoded event, whichever format it came from.
type event struct {
	Channel  string
	Provider string
	Computer string
	ID       uint32
	RecordID uint64
	Time     time.Time // UTC; zero when the event carries none
	Fields   []field
	Message  string // RenderingInfo/Message of exported XML, if any
	Offset   int64  // byte offset of the record / <Event> element in the file
	Line     int    // 1-based line of the <Event> element (XML only)

	act action
	seq int
}

// get returns the value of a named field (exact name first, then
// case-insensitively), trimmed.
func (e *event) get(name string) string {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	for _, f := range e.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// unnamed returns the values of unnamed <Data> elements in order.
func (e *event) unnamed() []string {
	var out []string
	for _, f := range e.Fields {
		if f.Name == "" {
			out = append(out, f.Value)
		}
	}
	return out
}

// text is the free text of a classic event: the unnamed data joined, or the
// rendered message.
func (e *event) text() string {
	if u := e.unnamed(); len(u) > 0 {
		return strings.Join(u, "\n")
	}
	return e.Message
}

// source names the log the event comes from, for rendering.
func (e *event) source() string {
	if e.Channel != "" {
		return e.Channel
	}
	if e.Provider != "" {
		return e.Provider
	}
	return "?"
}

// raw renders the event on one line: "<channel> <id> k=v … Computer=…".
// With keys, only those fields are shown (in that order, when present).
func (e *event) raw(keys ...string) string {
	var b strings.Builder
	b.WriteString(e.source())
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(uint64(e.ID), 10))
	put := func(k, v string) {
		b.WriteByte(' ')
		if k == "" {
			k = "Data"
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(quote(v))
	}
	if len(keys) > 0 {
		for _, k := range keys {
			for _, f := range e.Fields {
				if f.Name == k {
					put(f.Name, f.Value)
					break
				}
			}
		}
	} else {
		for _, f := range e.Fields {
			put(f.Name, f.Value)
		}
	}
	if e.Computer != "" {
		put("Computer", e.Computer)
	}
	return evidence.Clip(b.String())
}

func quote(v string) string {
	if v == "" || !utf8.ValidString(v) || strings.ContainsAny(v, " \t\r\n\"=\\") {
		return strconv.Quote(v)
	}
	return v
}

// hexFields are rendered by Windows as 0x… ; the EVTX library gives numbers.
var hexFields = map[string]bool{
	"TargetLogonId": true, "SubjectLogonId": true, "TargetLinkedLogonId": true,
	"LogonID": true, "LogonId": true, "ProcessId": true, "Status": true,
	"SubStatus": true,
}

// parseSystemTime reads TimeCreated/@SystemTime as exported XML writes it:
// "2019-05-26T19:34:48.998791400Z", or EvtxECmd's "2018-05-04 18:30:42.9212900"
// (UTC, no zone).
func parseSystemTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	s = strings.Replace(s, " ", "T", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseUint reads decimal or 0x-hex.
func parseUint(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, false
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return v, err == nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// parseAddr reads an address as the events write it: "10.0.2.16",
// "10.0.2.16:52202", "[10.0.2.16]:59407", "fe80::1%10", "[::1]:3389".
// ip is canonical (netip); port is 0 when absent.
func parseAddr(s string) (ip string, port uint32, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return "", 0, false
	}
	host, portStr := s, ""
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return "", 0, false
		}
		host = s[1:i]
		if rest := s[i+1:]; strings.HasPrefix(rest, ":") {
			portStr = rest[1:]
		}
	} else if strings.Count(s, ":") == 1 {
		i := strings.IndexByte(s, ':')
		host, portStr = s[:i], s[i+1:]
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "", 0, false
	}
	a = a.Unmap()
	if portStr != "" {
		if p, err := strconv.ParseUint(portStr, 10, 16); err == nil {
			port = uint32(p)
		}
	}
	return a.String(), port, true
}

// isLoopback tells whether a canonical ip is loopback or unspecified.
func isLoopback(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && (a.IsLoopback() || a.IsUnspecified())
}

// joinUser renders DOMAIN\user ("" when there is no user).
func joinUser(domain, user string) string {
	user = strings.TrimSpace(user)
	domain = strings.TrimSpace(domain)
	if user == "" || user == "-" {
		return ""
	}
	if domain != "" && domain != "-" {
		return domain + `\` + user
	}
	return user
}

// bareUser lower-cases and strips the domain (DOMAIN\user, user@domain), for
// matching the same account across logs that write the domain differently.
func bareUser(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.IndexByte(u, '@'); i >= 0 {
		u = u[:i]
	}
	return u
}

// hostLabel is the first DNS label of a computer name, lower-cased.
func hostLabel(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	return s
}
