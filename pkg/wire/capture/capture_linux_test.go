//go:build linux

package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/wire"
)

// rfbServer plays a minimal RFB 3.8 server (security None) on 127.0.0.1 for
// one connection.
func rfbServer(t *testing.T, ln net.Listener, done chan<- error) {
	c, err := ln.Accept()
	if err != nil {
		done <- err
		return
	}
	defer c.Close()
	step := func(w []byte, read int) error {
		if w != nil {
			if _, err := c.Write(w); err != nil {
				return err
			}
		}
		if read > 0 {
			_, err := io.ReadFull(c, make([]byte, read))
			return err
		}
		return nil
	}
	init := make([]byte, 24, 31)
	binary.BigEndian.PutUint16(init[0:], 800)
	binary.BigEndian.PutUint16(init[2:], 600)
	init[4], init[5], init[7] = 32, 24, 1
	binary.BigEndian.PutUint32(init[20:], 7)
	init = append(init, "lo-test"...)
	for _, s := range []struct {
		w    []byte
		read int
	}{
		{[]byte("RFB 003.008\n"), 12}, // banners
		{[]byte{1, 1}, 1},             // security types: None; client picks
		{[]byte{0, 0, 0, 0}, 1},       // SecurityResult OK; ClientInit
		{init, 6 + 8},                 // ServerInit; PointerEvent + KeyEvent
	} {
		if err := step(s.w, s.read); err != nil {
			done <- err
			return
		}
	}
	done <- nil
}

func rfbClient(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 64)
	for _, s := range []struct {
		read int
		w    []byte
	}{
		{12, []byte("RFB 003.008\n")},
		{2, []byte{1}},
		{4, []byte{1}},
		{31, []byte{5, 0, 0, 10, 0, 20, 4, 1, 0, 0, 0, 0, 0, 0x61}},
	} {
		if _, err := io.ReadFull(c, buf[:s.read]); err != nil {
			return err
		}
		if _, err := c.Write(s.w); err != nil {
			return err
		}
	}
	return nil
}

// TestLoopbackCapture captures an RFB exchange this test makes to 127.0.0.1,
// bounded by Duration, and checks the report and the written pcap.
func TestLoopbackCapture(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lo.pcap")
	h, err := Open(Options{Interface: "lo", Duration: 3 * time.Second, WritePath: out})
	if errors.Is(err, ErrNotPermitted) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	type result struct {
		rep *wire.Report
		st  Stats
		err error
	}
	res := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The socket is open and bound: every packet from here on is captured.
	go func() {
		rep, st, err := h.Analyze(ctx, wire.Options{})
		h.Close()
		res <- result{rep, st, err}
	}()
	srvDone := make(chan error, 1)
	go rfbServer(t, ln, srvDone)
	if err := rfbClient(ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if err := <-srvDone; err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	var flow *wire.Flow
	for _, f := range r.rep.Flows {
		if f.Server.Port == port {
			flow = f
		}
	}
	if flow == nil {
		t.Fatalf("no flow to port %d among %d (stats %+v)", port, len(r.rep.Flows), r.st)
	}
	if flow.Protocol != wire.ProtoRFB || flow.Verdict != wire.VerdictSession || flow.RFB == nil ||
		flow.RFB.PointerEvents != 1 || flow.RFB.KeyEvents != 1 || flow.RFB.DesktopName != "lo-test" {
		t.Fatalf("flow %+v rfb %+v", flow, flow.RFB)
	}
	// A live capture knows the capturing host: its own addresses, not an
	// inference; on loopback both ends are local and the listening RFB
	// server (controlled) makes the session incoming.
	if r.rep.LocalBy != "capture-host" || !slices.Contains(r.rep.Local, netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("local %v by %q, want this host's addresses by capture-host", r.rep.Local, r.rep.LocalBy)
	}
	// (Other tests' traffic on lo may be in the capture too: only this
	// connection's records count.)
	var mine []session.Record
	for _, rec := range r.rep.Records {
		if rec.RemotePort == uint32(flow.Client.Port) {
			mine = append(mine, rec)
		}
	}
	if len(mine) != 1 || mine[0].Direction != session.Incoming || mine[0].Outcome != session.Established {
		t.Errorf("records of port %d: %+v, want one incoming session", flow.Client.Port, mine)
	}
	// The written file reads back to the same verdict, with offsets.
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep2, err := wire.Analyze(context.Background(), f, out, wire.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Stats.Packets != r.st.Packets || len(rep2.Records) != len(r.rep.Records) {
		t.Fatalf("file: %d packets %d records; live: %d packets %d records", rep2.Stats.Packets, len(rep2.Records), r.st.Packets, len(r.rep.Records))
	}
	for i := range rep2.Records {
		if rep2.Records[i].Evidence[0].Offset != r.rep.Records[i].Evidence[0].Offset {
			t.Errorf("record %d: offset %d in file, %d live", i, rep2.Records[i].Evidence[0].Offset, r.rep.Records[i].Evidence[0].Offset)
		}
	}
}

func TestNotPermittedMessage(t *testing.T) {
	if ErrNotPermitted.Error() != "live capture needs root or CAP_NET_RAW" {
		t.Fatal(ErrNotPermitted)
	}
	// An unknown name, or none with no default route, lists the interfaces.
	withDefaultRoute(t, "")
	for _, name := range []string{"no-such-interface-x", ""} {
		_, err := Open(Options{Interface: name})
		if !errors.Is(err, ErrUnknownInterface) || !strings.Contains(err.Error(), "lo [loopback]") {
			t.Errorf("%q: %v", name, err)
		}
	}
	// None given: the default route's interface is opened, and named.
	withDefaultRoute(t, "lo")
	h, err := Open(Options{})
	if errors.Is(err, ErrNotPermitted) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.opts.Interface != "lo" || !h.loopback {
		t.Errorf("opened %q (loopback %v), want the default route's lo", h.opts.Interface, h.loopback)
	}
}
