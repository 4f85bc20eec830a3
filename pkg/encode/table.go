package encode

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// Table writes a summary for people: the verdict in plain words, the tools
// with their state and IPA conditions, the sessions, and what was incomplete.
type Table struct{}

// maxTableSessions is how many sessions of one list (a tool's incoming
// sessions, attempts, ...) the table shows: the first and last half.
const maxTableSessions = 50

func (Table) Name() string { return "table" }

func (Table) Encode(out io.Writer, r *report.Report) error {
	// Written whole at the end through terminalSafe: a file name or a
	// logged user name holding terminal escapes must not clear the screen
	// or hide the verdict.
	var buf bytes.Buffer
	if err := encodeTable(&buf, r); err != nil {
		return err
	}
	_, err := out.Write(terminalSafe(buf.Bytes()))
	return err
}

// terminalSafe escapes what a terminal would act on instead of showing:
// C0 controls but newline, DEL, C1 controls, and bytes that are not UTF-8
// (shown as \xNN, so two file names that differ there still differ).
func terminalSafe(b []byte) []byte {
	clean := true
	for _, c := range b {
		if c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			out = fmt.Appendf(out, "\\x%02x", b[0])
		case r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f:
			out = fmt.Appendf(out, "\\x%02x", r)
		default:
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

func encodeTable(w io.Writer, r *report.Report) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	who := r.Scan.Privileges.User
	if !r.Scan.Privileges.Elevated {
		who += " (not elevated)"
	}
	if r.Scan.Source.Kind == "" || r.Scan.Source.Kind == "live" {
		p("ratwatch %s · %s · %s %s · %s · as %s\n", r.Tool.Version, orDash(r.Host.Name), orDash(r.Scan.Source.Kind), r.Scan.Source.OS,
			r.Scan.StartedAt.Format(time.RFC3339), who)
	} else {
		// Files, an image or a capture from another PC: this machine only
		// analysed them.
		p("ratwatch %s · %s analysed on %s (%s) · %s · as %s\n", r.Tool.Version, r.Scan.Source.Kind, orDash(r.Host.Name), r.Scan.Source.OS,
			r.Scan.StartedAt.Format(time.RFC3339), who)
		// Which zone turned the evidence's local times into UTC.
		if r.Scan.TimezoneFrom != "" && r.Scan.Source.Kind != "capture" {
			p("%s\n", wrap(fmt.Sprintf("local times: %s — %s", r.Scan.Timezone, r.Scan.TimezoneFrom), 100))
		}
	}
	p("\nVERDICT: remote control %s — leak %s\n", strings.ToUpper(strings.ReplaceAll(r.Verdict.RemoteControl, "_", " ")), r.Verdict.Leak)
	p("%s\n", wrap(r.Verdict.Summary, 100))

	if len(r.Findings) > 0 {
		p("\nTOOLS\n")
		running, online := "Running", "Online"
		switch k := r.Scan.Source.Kind; {
		case k == "capture":
			// Conditions 1 and 2 from a capture describe its time, not now.
			running, online = "Ran", "Was online"
		case k != "" && k != "live":
			// An image or files cannot show whether the tool runs now
			// (unknown); "Ran" would read as "whether it ever ran".
			running, online = "Runs now", "Online now"
		}
		t := newTable(w, "Tool", "State", running, online, "Session", "Verdict", "Why")
		for _, f := range r.Findings {
			_ = t.Append(f.Tool.Name, f.State, f.Conditions.Running.Status, f.Conditions.Online.Status,
				f.Conditions.Session.Status, f.Verdict, wrap(f.VerdictReason, 60))
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	var rows [][]string
	var cut []string
	// Logs of other computers (`ratwatch logs` on several PCs' event logs)
	// get a Computer column: rows of two PCs must not look alike.
	others := otherComputers(r)
	for _, f := range r.Findings {
		row := func(s *session.Record) []string {
			c := []string{f.Tool.Name, string(s.Direction), string(s.Outcome), ts(s.Start), endOf(*s),
				strings.TrimSpace(s.RemoteID + " " + hostPort(*s)), strings.Trim(s.LocalUser+" / "+s.AuthMethod, " /"),
				files(s), sourceOf(*s)}
			if others {
				c = slices.Insert(c, 1, orDash(s.Host))
			}
			return c
		}
		add := func(rs []session.Record, what string) {
			for i := range rs {
				if len(rs) > maxTableSessions && i == maxTableSessions/2 {
					// A table of thousands of rows is read by no one (and
					// took tablewriter 20 µs a row): the first and last
					// ones, and how many are left out.
					n := len(rs) - maxTableSessions
					more := []string{f.Tool.Name, "…", "…", "…", "…", fmt.Sprintf("%d more", n), "", "", ""}
					if others {
						more = slices.Insert(more, 1, "…")
					}
					rows = append(rows, more)
					cut = append(cut, fmt.Sprintf("%s: %d of %d %s are not in this table (the first and last %d are); -o json, ndjson or ecs list every one",
						f.Tool.Name, n, len(rs), what, maxTableSessions/2))
				}
				if len(rs) <= maxTableSessions || i < maxTableSessions/2 || i >= len(rs)-maxTableSessions/2 {
					rows = append(rows, row(&rs[i]))
				}
			}
		}
		add(f.Incoming, "incoming sessions")
		add(f.Attempts, "attempts")
		add(f.Outgoing, "outgoing sessions")
		add(f.Undirected, "sessions of unknown direction")
	}
	if len(rows) > 0 {
		p("\nSESSIONS AND ATTEMPTS (UTC)\n")
		head := []string{"Tool", "Direction", "Outcome", "Start", "End", "Remote", "User / auth", "Files", "Source"}
		if others {
			head = slices.Insert(head, 1, "Computer")
		}
		t := newTable(w, head...)
		for _, row := range rows {
			_ = t.Append(row)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	var notes []string
	for _, st := range r.Scanners {
		for _, n := range st.Notes {
			notes = append(notes, st.Name+": "+n)
		}
	}
	// What the findings rest on (e.g. which host a capture's directions are
	// relative to), then what could not be read.
	bullets(w, "ASSUMED", notes)
	bullets(w, "NOT SHOWN", cut)
	bullets(w, "INCOMPLETE", r.Verdict.Incomplete)
	// Only what was read: a capture or a handed-over log reads no processes.
	var read []string
	for _, c := range []struct {
		n         int
		one, many string
	}{{r.Counts.Processes, "process", "processes"}, {r.Counts.Sockets, "socket", "sockets"}, {r.Counts.Packages, "package", "packages"},
		{r.Counts.Services, "service", "services"}, {r.Counts.Files, "file", "files"}, {r.Counts.Logs, "log or capture", "logs and captures"}} {
		switch {
		case c.n == 1:
			read = append(read, "1 "+c.one)
		case c.n > 1:
			read = append(read, fmt.Sprintf("%d %s", c.n, c.many))
		}
	}
	if len(read) == 0 {
		read = []string{"nothing"}
	}
	p("\n%s read · exit code %d\n", strings.Join(read, ", "), r.ExitCode)
	return nil
}

func newTable(w io.Writer, headers ...string) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithTrimSpace(tw.On),
	)
	t.Header(headers)
	return t
}

func ts(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func endOf(s session.Record) string {
	if s.End != nil {
		return ts(s.End)
	}
	if s.Open {
		for _, n := range s.Notes {
			if strings.HasPrefix(n, "active:") {
				return "ACTIVE NOW"
			}
		}
		if s.Parser == "wire" {
			return "capture ended first"
		}
		return "no end logged"
	}
	return "-"
}

func hostPort(s session.Record) string {
	if s.RemoteIP == "" {
		return ""
	}
	if s.RemotePort != 0 {
		return fmt.Sprintf("%s:%d", s.RemoteIP, s.RemotePort)
	}
	return s.RemoteIP
}

func sourceOf(s session.Record) string {
	if len(s.Evidence) == 0 {
		return ""
	}
	// The file name is enough on screen; the JSON report has the full path.
	e := s.Evidence[0]
	name := filepath.Base(e.Path)
	switch {
	case e.Line > 0:
		name = fmt.Sprintf("%s:%d", name, e.Line)
	case e.RecordID > 0 && e.Kind == evidence.KindPacket:
		name = fmt.Sprintf("%s packet %d", name, e.RecordID)
	case e.RecordID > 0:
		name = fmt.Sprintf("%s record %d", name, e.RecordID)
	}
	if len(s.Evidence) > 1 {
		name += fmt.Sprintf(" (+%d more)", len(s.Evidence)-1)
	}
	return name
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bullets prints a titled list, each item wrapped and its continuation
// lines indented under the item's text; nothing when items is empty.
func bullets(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "  - %s\n", strings.ReplaceAll(wrap(it, 94), "\n", "\n    "))
	}
}

// wrap breaks long text at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if n+1+len(word) > width {
				b.WriteString("\n")
				n = 0
			} else {
				b.WriteString(" ")
				n++
			}
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// files is the Files cell: the transfers that moved, and those that failed.
func files(s *session.Record) string {
	n := s.Moved()
	if f := len(s.Transfers) - n; f > 0 {
		return fmt.Sprintf("%d (+%d failed)", n, f)
	}
	return fmt.Sprint(n)
}

// otherComputers: some session names a computer other than the scanned one.
func otherComputers(r *report.Report) bool {
	for i := range r.Findings {
		for _, l := range r.Findings[i].Lists() {
			for j := range l {
				if h := l[j].Host; h != "" && !strings.EqualFold(h, r.Host.Name) {
					return true
				}
			}
		}
	}
	return false
}
