package encode_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
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
	var out bytes.Buffer
	if err := (encode.Table{}).Encode(&out, r); err != nil {
		t.Fatal(err)
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
