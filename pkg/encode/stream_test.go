package encode_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/wire"
	"github.com/ratwatch/ratwatch/pkg/wireinv"
)

func checkStream(t testing.TB, r *report.Report) {
	t.Helper()
	var got bytes.Buffer
	if err := encode.StreamIndented(&got, r); err != nil {
		t.Fatal(err)
	}
	if want := encode.StdIndent(t, r); !bytes.Equal(got.Bytes(), want) {
		i := 0
		for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
			i++
		}
		t.Fatalf("streamed report differs from encoding/json at byte %d:\n got …%q\nwant …%q", i,
			got.Bytes()[max(0, i-80):min(got.Len(), i+80)], want[max(0, i-80):min(len(want), i+80)])
	}
}

// TestStreamMatchesEncodingJSON: the streamed report is byte for byte what
// encoding/json writes — on audited and plain scans (sessions, attempts,
// audit fields, nil and empty slices), on the reports of every shared
// capture, and on an empty report.
func TestStreamMatchesEncodingJSON(t *testing.T) {
	checkStream(t, &report.Report{})
	checkStream(t, audittest.Audited(t))
	checkStream(t, audittest.Scan(t, "", "linux", "pc-1", audittest.Merge(audittest.AnyDesk(), audittest.X11VNC(7001, "root"))))

	dir := filepath.Join("..", "..", "..", "shared", "pcaps")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	if len(files) == 0 {
		t.Skip("no shared captures at " + dir)
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := wire.Analyze(t.Context(), f, p, wire.Options{Signatures: audittest.Signatures(t)})
		f.Close()
		if rep == nil {
			t.Fatalf("%s: %v", p, err)
		}
		checkStream(t, audittest.Scan(t, "", "linux", "", wireinv.FromReport(rep, err)))
	}
}

// FuzzStream: any report that JSON can describe streams exactly as
// encoding/json writes it (nil vs empty slices, omitted fields, pointers).
func FuzzStream(f *testing.F) {
	f.Add([]byte(`{"findings":[{"tool":{"id":"x"},"incoming_sessions":[],"attempts":null,"matches":[{"kind":"p","evidence":[{}]}]}],"audit":{}}`))
	f.Add([]byte(`{"scanners":[],"verdict":{"reasons":["<&>"]},"logs":[{}],"findings":[{"conditions":{"session":{"evidence":[]}},"audit":null}]}`))
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(audittest.Audited(f)); err == nil {
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r report.Report
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if _, err := json.Marshal(&r); err != nil {
			var got bytes.Buffer
			if encode.StreamIndented(&got, &r) == nil {
				t.Fatalf("encoding/json fails (%v), the stream did not", err)
			}
			return
		}
		checkStream(t, &r)
	})
}

// TestStreamLongLists: lists long enough to be marshalled in parallel
// chunks (a capture's thousand sessions) come out in order and byte for
// byte as encoding/json writes them; a value that cannot be marshalled in
// the middle of one is an error, not a hang.
func TestStreamLongLists(t *testing.T) {
	r := audittest.Audited(t)
	f := &r.Findings[0]
	var in []session.Record
	for i := range 1001 {
		s := audittest.Session("anydesk", session.Incoming, session.Established, "2026-01-12T09:00:05Z", "2026-01-12T09:30:00Z",
			fmt.Sprintf("%09d", i), fmt.Sprintf("203.0.%d.%d", i/256, i%256), uint32(i), "alice", "/home/alice/.anydesk/ad.trace", i+1)
		in = append(in, s)
	}
	f.Incoming = in
	f.Attempts = in[:64] // exactly two chunks
	checkStream(t, r)

	bad := *audittest.T("2026-01-12T09:00:05Z")
	bad = bad.AddDate(8000, 0, 0) // year 10026: time.Time refuses to marshal it
	f.Incoming[700].End = &bad
	var got bytes.Buffer
	err := encode.StreamIndented(&got, r)
	if err == nil || !strings.Contains(err.Error(), "year outside of range") {
		t.Fatalf("want the marshalling error of record 700, got %v", err)
	}
}
