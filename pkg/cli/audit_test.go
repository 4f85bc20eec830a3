package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Concurrent appenders (several audits writing to one file, or a log
// shipper's copy) never interleave: each line is one write on O_APPEND.
func TestAppendLinesDoNotInterleave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "audit.ndjson")
	const writers, perWriter = 6, 150
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		var lines [][]byte
		for i := 0; i < perWriter; i++ {
			pad := bytes.Repeat([]byte{'a' + byte(w)}, 8000+i*7) // lines far above PIPE_BUF
			b, _ := json.Marshal(map[string]any{"writer": w, "i": i, "pad": string(pad)})
			lines = append(lines, append(b, '\n'))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := appendLines(path, lines); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		var m struct {
			Writer, I int
			Pad       string
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("interleaved line: %v", err)
		}
		for _, c := range m.Pad {
			if c != rune('a'+m.Writer) {
				t.Fatalf("line of writer %d holds bytes of another writer", m.Writer)
			}
		}
		seen[fmt.Sprint(m.Writer, "/", m.I)] = true
	}
	if len(seen) != writers*perWriter {
		t.Errorf("%d distinct lines, want %d", len(seen), writers*perWriter)
	}
}
