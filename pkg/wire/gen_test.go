package wire

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestPrintExpectations prints the current results as Go literals; run with
// WIRE_PRINT=1 to refresh the table in captures_test.go after review.
func TestPrintExpectations(t *testing.T) {
	if os.Getenv("WIRE_PRINT") == "" {
		t.Skip("set WIRE_PRINT=1")
	}
	dir := pcapDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	for _, path := range files {
		rep, err := analyzeFile(t, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Printf("{file: %q, local: %q,\n flows: []flowWant{\n", rel, fmt.Sprint(rep.Local))
		for _, f := range rep.Flows {
			if f.Tool == "" {
				continue
			}
			fmt.Printf("  {%q, %q, %q, %q, %q, %q, %q, %q},\n", f.Client, f.Server, f.Protocol, f.Tool, f.By, f.Role, f.Verdict, f.Controlled)
		}
		fmt.Printf(" },\n tools: map[string]toolWant{\n")
		for _, tr := range rep.Tools {
			fmt.Printf("  %q: {%q, %q},\n", tr.Tool, tr.Verdict, tr.Direction)
		}
		fmt.Printf(" },\n},\n")
	}
}
