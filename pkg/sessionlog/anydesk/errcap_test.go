package anydesk

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/logkit"
)

// TestConnectionTraceErrorsCapped: a file of 10,000 lines that are not rows
// gives at most logkit.MaxErrors errors plus one saying how many more.
func TestConnectionTraceErrorsCapped(t *testing.T) {
	garbage := strings.Repeat("this is not a connection_trace row\n", 10000)
	res, err := (ConnectionTrace{}).Parse(sessionlog.Input{Path: "connection_trace.txt", R: bytes.NewReader([]byte(garbage))})
	if err == nil {
		t.Fatal("no error for a file without a single row")
	}
	if len(res.Errors) != logkit.MaxErrors+1 || res.Errors[logkit.MaxErrors].Msg != "9900 further errors not listed" || res.Errors[0].Line != 1 {
		t.Fatalf("%d errors, last %+v", len(res.Errors), res.Errors[len(res.Errors)-1])
	}
}
