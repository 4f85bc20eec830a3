//go:build unix

package cli

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Audit lines appended into a pipe (--file /dev/stdout under cron, a FIFO
// to a log shipper) are delivered and the run succeeds: a pipe cannot be
// synced (EINVAL), and that is not a failure.
func TestAppendLinesToPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := appendLines(fifo, [][]byte{[]byte("{\"a\":1}\n"), []byte("{\"b\":2}\n")}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "{\"a\":1}\n{\"b\":2}\n" {
		t.Errorf("read %q", s)
	}
}
