package eventlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Records wiped from an EVTX are reported, with how many and where, not
// lost in silence (the log was "ok" with 105 or 90 records fewer). The
// expected ids come from the sample's chunk headers (first record id at
// 0x18, last at 0x20 of each chunk).
func TestEVTXWipedRecordsReported(t *testing.T) {
	orig, err := os.ReadFile(sample(t, "rdp/velociraptor_RDPAuth_Security.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	const hdr, chunk = 4096, 65536
	id := func(c, at int) uint64 { return binary.LittleEndian.Uint64(orig[hdr+c*chunk+at:]) }
	all := parseBytes(t, "Security.evtx", orig)
	if all.Lines != 789 || len(all.Errors) != 0 {
		t.Fatalf("sample: %d records, errors %v", all.Lines, all.Errors)
	}

	t.Run("a zeroed chunk", func(t *testing.T) {
		b := bytes.Clone(orig)
		clear(b[hdr+chunk : hdr+2*chunk])
		res := parseBytes(t, "Security.evtx", b)
		lost := int(id(1, 0x20) - id(1, 0x18) + 1)
		want := fmt.Sprintf("records %d to %d are missing", id(0, 0x20)+1, id(2, 0x18)-1)
		if res.Lines != 789-lost || len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0].Msg, want) || res.Errors[0].Offset != hdr+2*chunk {
			t.Errorf("%d records (want %d), errors %v, want %q", res.Lines, 789-lost, res.Errors, want)
		}
	})
	t.Run("a record's signature zeroed", func(t *testing.T) {
		b := bytes.Clone(orig)
		// The sixth record of the first chunk: walk five record sizes.
		off := hdr + 0x200
		for range 5 {
			off += int(binary.LittleEndian.Uint32(b[off+4:]))
		}
		clear(b[off : off+4])
		res := parseBytes(t, "Security.evtx", b)
		if len(res.Errors) == 0 || res.Errors[0].Offset != int64(off) || !strings.Contains(res.Errors[0].Msg, "zeroed bytes where a record should be") {
			t.Fatalf("errors %v", res.Errors)
		}
		if res.Lines != 5+789-int(id(0, 0x20)-id(0, 0x18)+1) {
			t.Errorf("%d records", res.Lines)
		}
	})
}
