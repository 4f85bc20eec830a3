package winproc_test

import (
	"testing"

	"github.com/ratwatch/ratwatch/internal/wine"
	"github.com/ratwatch/ratwatch/pkg/winproc"
)

func TestUnderWine(t *testing.T) {
	p := wine.New(t)
	p.RunTests(t, wine.BuildTest(t, "."), "^TestWine")
}

func TestUnsupported(t *testing.T) {
	if _, err := winproc.SessionID(1); err != winproc.ErrUnsupported {
		t.Errorf("err = %v", err)
	}
}
