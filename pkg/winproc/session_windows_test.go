package winproc_test

import (
	"os"
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/winproc"
)

func TestWineSessionID(t *testing.T) {
	if !wine.UnderWine() {
		t.Skip("run by TestUnderWine on Linux")
	}
	s, err := winproc.SessionID(uint32(os.Getpid()))
	if err != nil {
		t.Fatalf("own session: %v", err)
	}
	t.Logf("own session id %d", s)
	if _, err := winproc.SessionID(0xFFFFFFF0); err == nil {
		t.Error("no error for a pid that does not exist")
	}
}
