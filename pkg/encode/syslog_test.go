//go:build !windows && !plan9 && !js && !wasip1

package encode_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/audit/audittest"
	"github.com/ratwatch/ratwatch/pkg/encode"
)

// The syslog sink sends one datagram per line, with tag ratwatch, facility
// daemon and a severity from the line, to a Unix datagram socket of our own.
func TestSyslogOneMessagePerLine(t *testing.T) {
	dir, err := os.MkdirTemp("", "rwsl") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadBuffer(4 << 20)

	r := audittest.Audited(t)
	for _, format := range []string{"ndjson", "ecs"} {
		e, _ := encode.Get(format)
		lines, err := e.(encode.LineEncoder).EncodeLines(r)
		if err != nil {
			t.Fatal(err)
		}
		sink, err := encode.DialSyslog("unixgram", sock)
		if err != nil {
			t.Fatal(err)
		}
		sevs := map[encode.Severity]int{}
		for _, l := range lines {
			sev := encode.LineSeverity(l)
			sevs[sev]++
			if err := sink.Send(sev, l); err != nil {
				t.Fatal(err)
			}
		}
		sink.Close()
		// daemon = 3 → PRI = 24 + severity (crit 2, warning 4, notice 5, info 6).
		pri := map[encode.Severity]int{encode.SevCrit: 26, encode.SevWarning: 28, encode.SevNotice: 29, encode.SevInfo: 30}
		head := regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d ratwatch\[(\d+)\]: `)
		buf := make([]byte, 1<<20)
		got := map[encode.Severity]int{}
		for i, l := range lines {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("%s: message %d of %d: %v", format, i+1, len(lines), err)
			}
			msg := buf[:n]
			m := head.FindSubmatch(msg)
			if m == nil {
				t.Fatalf("%s: message %q has no syslog header with tag ratwatch", format, msg[:min(n, 80)])
			}
			if string(m[2]) != fmt.Sprint(os.Getpid()) {
				t.Errorf("pid %s", m[2])
			}
			body := bytes.TrimRight(msg[len(m[0]):], "\n")
			if !bytes.Equal(body, bytes.TrimRight(l, "\n")) {
				t.Fatalf("%s: message %d is not line %d:\n%s\n%s", format, i+1, i+1, body, l)
			}
			for sev, p := range pri {
				if fmt.Sprint(p) == string(m[1]) {
					got[sev]++
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(sevs) {
			t.Errorf("%s: priorities %v, want %v", format, got, sevs)
		}
		// The fixture is established and not allowed: crit messages, and
		// warnings for what else is not allowed.
		if sevs[encode.SevCrit] == 0 || sevs[encode.SevWarning] == 0 || sevs[encode.SevNotice] == 0 {
			t.Errorf("%s: severities %v", format, sevs)
		}
	}
}

func TestLineSeverity(t *testing.T) {
	cases := map[string]encode.Severity{
		`{"type":"verdict","exit_code":3}`:                                                 encode.SevCrit,
		`{"type":"verdict","exit_code":2}`:                                                 encode.SevWarning,
		`{"type":"verdict","exit_code":0}`:                                                 encode.SevInfo,
		`{"type":"finding","finding":{"verdict":"established"},"audit":{"allowed":true}}`:  encode.SevInfo,
		`{"type":"finding","finding":{"verdict":"established"},"audit":{"allowed":false}}`: encode.SevCrit,
		`{"type":"finding","finding":{"verdict":"not_established"}}`:                       encode.SevWarning,
		`{"type":"session","group":"incoming","session":{"outcome":"established"}}`:        encode.SevCrit,
		`{"type":"session","group":"attempt","session":{"outcome":"rejected"}}`:            encode.SevWarning,
		`{"type":"session","group":"outgoing","session":{"outcome":"established"}}`:        encode.SevInfo,
		`{"type":"gone"}`: encode.SevNotice,
		`not json`:        encode.SevWarning,
	}
	for line, want := range cases {
		if got := encode.LineSeverity([]byte(line)); got != want {
			t.Errorf("%s: %v, want %v", line, got, want)
		}
	}
	if !strings.Contains(encode.SevCrit.String(), "crit") {
		t.Error("severity name")
	}
}
