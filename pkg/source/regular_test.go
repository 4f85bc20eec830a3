//go:build unix

package source

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO or a device named like a log is refused at once: opening the FIFO
// would block, reading /dev/zero would never end.
func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ad.trace")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	dev := filepath.Join(dir, "xrdp.log")
	if err := os.Symlink("/dev/zero", dev); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "x11vnc.log")
	if err := os.WriteFile(reg, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range []string{fifo, dev} {
			f, err := OpenHost(p)
			if f != nil || !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: %v, %v", p, f, err)
			}
		}
		f, err := Dir(dir, "linux").Open("/x11vnc.log")
		if err != nil {
			t.Errorf("regular file: %v", err)
		} else {
			f.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("open blocked")
	}
}
