package socket

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/inventory"
)

// ownSockets renders the sockets this test process owns.
func ownSockets(list []inventory.Socket) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		if s.PID == int32(os.Getpid()) {
			m[fmt.Sprintf("%s %s:%d %s:%d %s", s.Proto, s.LocalIP, s.LocalPort, s.RemoteIP, s.RemotePort, s.State)] = true
		}
	}
	return m
}

// The netlink listing must agree with gopsutil's /proc/net reading on the
// sockets this test owns: a TCP listener, both ends of a connection, and an
// unconnected UDP socket.
func TestNetlinkAgreesWithProcNet(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()

	fast, err := list(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slow, err := listPortable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, b := ownSockets(fast), ownSockets(slow)
	lp := l.Addr().(*net.TCPAddr).Port
	cp := c.LocalAddr().(*net.TCPAddr).Port
	up := u.LocalAddr().(*net.UDPAddr).Port
	want := []string{
		fmt.Sprintf("tcp 127.0.0.1:%d :0 LISTEN", lp),
		fmt.Sprintf("tcp 127.0.0.1:%d 127.0.0.1:%d ESTABLISHED", cp, lp),
		fmt.Sprintf("tcp 127.0.0.1:%d 127.0.0.1:%d ESTABLISHED", lp, cp),
		fmt.Sprintf("udp 127.0.0.1:%d :0 NONE", up),
	}
	for _, w := range want {
		if !a[w] {
			t.Errorf("netlink lacks %q; has %v", w, a)
		}
		if !b[w] {
			t.Errorf("gopsutil lacks %q; has %v", w, b)
		}
	}
	if len(a) != len(want) {
		t.Errorf("netlink: %d sockets of this process, want %d: %v", len(a), len(want), a)
	}
}
