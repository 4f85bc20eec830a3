package wire

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestWriteJSON: the streamed encoding equals json.Marshal of the report.
func TestWriteJSON(t *testing.T) {
	dir := pcapDir(t)
	rep, err := analyzeFile(t, filepath.Join(dir, "ndpi/teamviewer_2022_full.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(buf.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(want, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("streamed JSON differs:\n%s\n%s", ja, jb)
	}
}
