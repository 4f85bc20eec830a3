package eventlog

import (
	"bytes"
	"github.com/ratwatch/ratwatch/internal/shared"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

// optionalSample returns a sample's bytes, or nil when the shared samples are
// not there (fuzz seeds are a bonus, not a requirement).
func optionalSample(rel string) []byte {
	p, ok := shared.File("samples/" + rel)
	if !ok {
		return nil
	}
	b, _ := os.ReadFile(p)
	return b
}

// checkResult holds for any input: no panic (the call returned), errors
// point inside the file, records are finished and carry evidence, times are
// UTC.
func checkResult(t *testing.T, data []byte, res sessionlog.Result) {
	for _, e := range res.Errors {
		if e.Offset < 0 || e.Offset > int64(len(data)) {
			t.Fatalf("error offset %d outside a %d-byte input: %v", e.Offset, len(data), e)
		}
	}
	utc := func(p *time.Time) {
		if p != nil && p.Location() != time.UTC {
			t.Fatalf("time %v not UTC", p)
		}
	}
	utc(res.FirstTime)
	utc(res.LastTime)
	for _, s := range res.Sessions {
		if len(s.Evidence) == 0 || s.Tool == "" || s.Parser != Name {
			t.Fatalf("bad record %+v", s)
		}
		if s.Open != (s.Start != nil && s.End == nil) {
			t.Fatalf("Open not from Finish: %+v", s)
		}
		utc(s.Start)
		utc(s.End)
		for _, e := range s.Evidence {
			if e.Offset < 0 || e.Offset > int64(len(data)) || len(e.Raw) > 600 {
				t.Fatalf("bad evidence %+v", e)
			}
		}
	}
}

func FuzzParseXML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(export(
		xev{pvSec, chSec, "h", 4624, 1, "2024-05-01T10:00:04Z", [][2]string{{"TargetUserName", "a"}, {"TargetLogonId", "0x1"}, {"LogonType", "10"}, {"IpAddress", "1.2.3.4"}}, nil},
		xev{pvSec, chSec, "h", 4778, 2, "2024-05-01T10:00:05Z", [][2]string{{"AccountName", "a"}, {"LogonID", "0x2"}, {"ClientAddress", "1.2.3.4"}}, nil},
		xev{pvLSM, chLSM, "h", 24, 3, "2024-05-01T10:00:06Z", nil, [][2]string{{"User", `H\a`}, {"SessionID", "2"}, {"Address", "1.2.3.4"}}},
		xev{"chromoting", "Application", "h", 4, 4, "2024-05-01T10:00:07Z", [][2]string{{"", "x@y/z"}, {"", "[::1]:5"}}, nil},
	))
	// LogMeIn (documented texts; see logmein_test.go).
	f.Add(export(
		xev{"LogMeIn", "Application", "h", 102, 1, "2024-06-01T09:00:00Z", [][2]string{{"", "a has successfully logged on from IP address 203.0.113.5"}}, nil},
		xev{"LogMeIn", "Application", "h", 202, 2, "2024-06-01T09:00:01Z", [][2]string{{"", "Remote control session started by a from IP address 203.0.113.5"}}, nil},
		xev{"LogMeIn", "Application", "h", 205, 3, "2024-06-01T09:10:00Z", [][2]string{{"", "a (203.0.113.5) ended a Remote Control Session"}}, nil},
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(sessionlog.Input{Path: "f.xml", R: bytes.NewReader(data)})
		if err != nil {
			return
		}
		checkResult(t, data, res)
	})
}

// FuzzParseEVTX mutates a real EVTX file (velociraptor LSM sample: header +
// one chunk of 17 records). The library panics on many mutations; Parse must
// recover, report the offset and return.
func FuzzParseEVTX(f *testing.F) {
	if b := optionalSample("rdp/velociraptor_RDPAuth_LocalSessionManager.evtx"); b != nil {
		f.Add(b)
		f.Add(b[:4096+8192])
	}
	if b := optionalSample("rdp/evtxattack_dfir_rdpsharp_target_RdpCoreTs_168_68_131.evtx"); b != nil {
		f.Add(b)
	}
	hdr := make([]byte, 4096)
	copy(hdr, evtxMagic)
	hdr[0x24], hdr[0x26], hdr[0x29] = 1, 3, 0x10
	f.Add(append(hdr, chunkMagic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append([]byte(nil), data...)
		if len(in) >= len(evtxMagic) {
			copy(in, evtxMagic) // stay on the EVTX path
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		res, err := New().Parse(sessionlog.Input{Path: "f.evtx", R: bytes.NewReader(in)})
		runtime.ReadMemStats(&m1)
		// The guard must keep the library within its budget per chunk
		// (allowing its estimate to be off by 2×).
		chunks := uint64(len(in)/evtxChunkSize + 1)
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > chunks*2*guardMemBudget+64<<20 {
			t.Fatalf("%d bytes allocated for %d chunks", alloc, chunks)
		}
		if err != nil {
			return
		}
		checkResult(t, in, res)
	})
}
