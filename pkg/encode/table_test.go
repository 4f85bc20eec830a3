package encode_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/wire"
	"github.com/ratwatch/ratwatch/pkg/wireinv"
)

// TestTableShowsCapturingHost: the table of a capture's scan has the
// verdict, the sessions, and says which address "incoming" is relative to
// and how it was chosen. vnc.pcap (nDPI's test capture, SOURCES.md): two
// RFB sessions from 95.237.48.208 to the private 192.168.2.110.
func TestTableShowsCapturingHost(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "pcaps", "ndpi", "vnc.pcap")
	f, err := os.Open(p)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	rep, err := wire.Analyze(t.Context(), f, p, wire.Options{Signatures: audittest.Signatures(t)})
	if rep == nil {
		t.Fatal(err)
	}
	r := audittest.Scan(t, "", "linux", "", wireinv.FromReport(rep, err))
	r.Scan.Source.Kind = "capture" // as `ratwatch pcap` reports it
	var out bytes.Buffer
	if err := (encode.Table{}).Encode(&out, r); err != nil {
		t.Fatal(err)
	}
	// The same findings read from an image: whether the tool runs now is
	// unknown, which "Ran" would misstate.
	r.Scan.Source.Kind = "directory"
	var img bytes.Buffer
	if err := (encode.Table{}).Encode(&img, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(img.String(), "│ Runs now │ Online now │") || strings.Contains(img.String(), "│ Ran │") {
		t.Errorf("an image's conditions 1 and 2 are headed as now:\n%s", img.String())
	}
	s := out.String()
	i := strings.Index(s, "\nASSUMED\n")
	if i < 0 {
		t.Fatalf("no ASSUMED section:\n%s", s)
	}
	assumed := strings.Join(strings.Fields(s[i:]), " ")
	if !strings.Contains(assumed, "capturing host 192.168.2.110 (inferred") ||
		!strings.Contains(assumed, "give --local-ip") {
		t.Errorf("ASSUMED section: %s", assumed)
	}
	if strings.Count(s, "95.237.48.208:") != 2 || !strings.Contains(s, "VERDICT: remote control ESTABLISHED") {
		t.Errorf("sessions or verdict missing:\n%s", s)
	}
	// This machine only analysed the capture; the second session was still
	// running when the capture ended; only what was read is counted.
	if !strings.Contains(s, "│ Ran │ Was online │") || strings.Contains(s, "Running") {
		t.Errorf("a capture's conditions 1 and 2 are headed as past:\n%s", s)
	}
	if !strings.Contains(strings.SplitN(s, "\n", 2)[0], " analysed on ") || strings.Count(s, "capture ended first") != 1 ||
		!strings.Contains(s, "\n1 log or capture read · exit code 3\n") || !strings.Contains(s, "vnc.pcap packet 4 (+1 more)") {
		t.Errorf("header, end or footer:\n%s", s)
	}
}

// TestTableBullets: the ASSUMED and INCOMPLETE sections list every note
// and every gap, long ones wrapped with their continuation lines indented
// under the text; no section when there is nothing to say.
func TestTableBullets(t *testing.T) {
	long := "capturing host 10.0.0.5 (inferred: the address that sent the DNS queries; give --local-ip if that is wrong); incoming means this host was the one controlled"
	r := &report.Report{
		Scanners: []inventory.ScannerStatus{{Name: "capture a.pcap", Notes: []string{long}}, {Name: "processes"}},
		Verdict:  report.Verdict{Incomplete: []string{"socket owners unreadable (not root)"}},
	}
	var out bytes.Buffer
	if err := (encode.Table{}).Encode(&out, r); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	want := "\nASSUMED\n  - capture a.pcap: capturing host 10.0.0.5 (inferred: the address that sent the DNS queries; give\n" +
		"    --local-ip if that is wrong); incoming means this host was the one controlled\n" +
		"\nINCOMPLETE\n  - socket owners unreadable (not root)\n"
	if !strings.Contains(s, want) {
		t.Errorf("table:\n%s\nwant the sections:\n%s", s, want)
	}
	out.Reset()
	if err := (encode.Table{}).Encode(&out, &report.Report{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "ASSUMED") || strings.Contains(out.String(), "INCOMPLETE") {
		t.Errorf("empty report has sections:\n%s", out.String())
	}
}

// TestTableCapsLongSessionLists: AnyDesk with 60 more incoming sessions
// (62 in all) shows the first 25 and last 25 of them, one "12 more" row
// between, says so under NOT SHOWN; its one attempt and one outgoing
// session are shown as they are.
func TestTableCapsLongSessionLists(t *testing.T) {
	inv := audittest.AnyDesk()
	for i := 0; i < 60; i++ {
		inv.Sessions = append(inv.Sessions, audittest.Session("anydesk", session.Incoming, session.Established,
			fmt.Sprintf("2026-02-01T%02d:%02d:00Z", 10+i/60, i%60), fmt.Sprintf("2026-02-01T%02d:%02d:30Z", 10+i/60, i%60),
			fmt.Sprint(700000000+i), "", 0, "", "/ad.trace", 100+i))
	}
	r := audittest.Scan(t, "", "linux", "pc-1", inv)
	if len(r.Findings) != 1 || len(r.Findings[0].Incoming) != 62 {
		t.Fatalf("fixture: %d findings", len(r.Findings))
	}
	var out bytes.Buffer
	if err := (encode.Table{}).Encode(&out, r); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	// Incoming rows in the order of the finding: the two of the fixture
	// (Jan 12, Jan 13), then Feb 1 10:00 … ; the first 25 end at 10:22, the
	// last 25 start at 10:35.
	var shown []string // the Start of each incoming row
	for _, l := range strings.Split(s, "\n") {
		if c := strings.Split(l, "│"); len(c) == 11 && strings.TrimSpace(c[2]) == "incoming" && strings.TrimSpace(c[3]) == "established" {
			shown = append(shown, strings.TrimSpace(c[4]))
		}
	}
	if len(shown) != 50 || shown[0] != "2026-01-12 09:00:05" || shown[24] != "2026-02-01 10:22:00" ||
		shown[25] != "2026-02-01 10:35:00" || shown[49] != "2026-02-01 10:59:00" {
		t.Errorf("%d incoming rows shown: %v", len(shown), shown)
	}
	if n := strings.Count(s, "12 more"); n != 1 {
		t.Errorf("%d '12 more' rows", n)
	}
	if !strings.Contains(s, "NOT SHOWN\n  - AnyDesk: 12 of 62 incoming sessions are not in this table (the first and last 25 are)") {
		t.Errorf("no NOT SHOWN note:\n%s", s)
	}
	for _, want := range []string{"rejected", "outgoing"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s row", want)
		}
	}
}

// Sessions from another computer's logs get a Computer column; a scan whose
// sessions are all its own does not.
func TestTableComputerColumn(t *testing.T) {
	inv := audittest.AnyDesk()
	r := audittest.Scan(t, "", "linux", "pc-1", inv)
	var out bytes.Buffer
	if err := (encode.Table{}).Encode(&out, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Computer") {
		t.Errorf("Computer column without other computers")
	}
	inv.Sessions[0].Host = "PC01.example.corp"
	r = audittest.Scan(t, "", "linux", "pc-1", inv)
	out.Reset()
	if err := (encode.Table{}).Encode(&out, r); err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, l := range strings.Split(out.String(), "\n") {
		if c := strings.Split(l, "│"); len(c) == 12 {
			cells = append(cells, strings.TrimSpace(c[2]))
		}
	}
	if len(cells) < 3 || cells[0] != "Computer" || !slices.Contains(cells, "PC01.example.corp") || !slices.Contains(cells, "-") {
		t.Errorf("computer cells %v", cells)
	}
}

// TestTableTerminalSafe: an escape sequence in a file name or a logged
// user name reaches the terminal as text (\x1b…), not as a command; a byte
// that is not UTF-8 is shown as \xNN; box drawing and Japanese are kept.
func TestTableTerminalSafe(t *testing.T) {
	in := []byte("Source: Connections_incoming_\x1b[2J\x1b[31mX.txt \xff │ 山田 \u009b1m\tend\n")
	got := string(encode.TerminalSafe(in))
	want := `Source: Connections_incoming_\x1b[2J\x1b[31mX.txt \xff │ 山田 \x9b1m\x09end` + "\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
