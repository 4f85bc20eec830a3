package lab

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TCP states as in /proc/net/tcp.
const (
	tcpEstablished = 0x01
	tcpListen      = 0x0A
)

// Socket is one line of /proc/net/tcp or /proc/net/tcp6.
type Socket struct {
	LocalIP    net.IP
	LocalPort  int
	RemoteIP   net.IP
	RemotePort int
	State      int
	UID        int
	Inode      uint64
}

// ReadSockets parses /proc/net/tcp and /proc/net/tcp6.
func ReadSockets() ([]Socket, error) {
	var all []Socket
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			if os.IsNotExist(err) && strings.HasSuffix(f, "6") {
				continue
			}
			return nil, err
		}
		socks, err := parseProcNetTCP(fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		all = append(all, socks...)
	}
	return all, nil
}

func parseProcNetTCP(r interface{ Read([]byte) (int, error) }) ([]Socket, error) {
	var out []Socket
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		lip, lport, err := parseHexAddr(f[1])
		if err != nil {
			return nil, err
		}
		rip, rport, err := parseHexAddr(f[2])
		if err != nil {
			return nil, err
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("bad state %q", f[3])
		}
		uid, _ := strconv.Atoi(f[7])
		inode, _ := strconv.ParseUint(f[9], 10, 64)
		out = append(out, Socket{LocalIP: lip, LocalPort: lport, RemoteIP: rip, RemotePort: rport, State: int(st), UID: uid, Inode: inode})
	}
	return out, sc.Err()
}

// parseHexAddr decodes "0100007F:1F90" (IPv4) or the 32-hex-digit IPv6 form.
// The address is stored as host-endian (little-endian here) 32-bit words.
func parseHexAddr(s string) (net.IP, int, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, fmt.Errorf("bad address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("bad port in %q", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, 0, fmt.Errorf("bad address %q", s)
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 {
		for i := 0; i < 4; i++ {
			ip[w+i] = raw[w+3-i]
		}
	}
	return ip, int(port), nil
}

// socketOwners maps socket inodes to the pids that hold them, by scanning
// /proc/<pid>/fd. A socket shared after fork has several owners.
func socketOwners(inodes map[uint64]bool) map[uint64][]int {
	out := map[uint64][]int{}
	if len(inodes) == 0 {
		return out
	}
	for _, pid := range allPIDs() {
		dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			link, err := os.Readlink(filepath.Join(dir, e.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]"), 10, 64)
			if err == nil && inodes[ino] {
				out[ino] = appendUnique(out[ino], pid)
			}
		}
	}
	return out
}

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// ListenerPIDs returns the pids holding a LISTEN socket on port (any address).
func ListenerPIDs(port int) ([]int, error) {
	socks, err := ReadSockets()
	if err != nil {
		return nil, err
	}
	inodes := map[uint64]bool{}
	for _, s := range socks {
		if s.State == tcpListen && s.LocalPort == port && s.Inode != 0 {
			inodes[s.Inode] = true
		}
	}
	var pids []int
	for _, ps := range socketOwners(inodes) {
		for _, p := range ps {
			pids = appendUnique(pids, p)
		}
	}
	return pids, nil
}

// IsListening reports whether anything listens on TCP port.
func IsListening(port int) bool {
	socks, err := ReadSockets()
	if err != nil {
		return false
	}
	for _, s := range socks {
		if s.State == tcpListen && s.LocalPort == port {
			return true
		}
	}
	return false
}

// waitListening waits until p (or a process of its group) holds a LISTEN
// socket on port. It fails early if p exits.
func waitListening(p *Proc, port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		pids, err := ListenerPIDs(port)
		if err != nil {
			return err
		}
		var others []int
		for _, pid := range pids {
			if pid == p.PID {
				return nil
			}
			if st, err := readStat(pid); err == nil && st.pgid == p.PID {
				return nil
			}
			others = append(others, pid)
		}
		if p.Exited() {
			return fmt.Errorf("lab: %s (pid %d) exited before listening on port %d (%v; listeners now: %v); log:\n%s",
				p.Name, p.PID, port, p.ExitError(), others, tail(p.LogPath, 3000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lab: %s (pid %d) not listening on port %d after %v (other listeners: %v); threads: %s; log:\n%s",
				p.Name, p.PID, port, d, others, threads(p.PID), tail(p.LogPath, 3000))
		}
		time.Sleep(pollInterval)
	}
}

// Established is an ESTABLISHED TCP connection on loopback seen from both
// ends in /proc/net/tcp(6), with the pids holding each end (0 if none was
// found, e.g. the socket was closed meanwhile or /proc hides it).
type Established struct {
	ClientPort, ServerPort int
	ClientIP, ServerIP     net.IP
	ClientPIDs, ServerPIDs []int
}

// ClientPID is the first client-side pid, or 0.
func (e Established) ClientPID() int { return first(e.ClientPIDs) }

// ServerPID is the first server-side pid, or 0.
func (e Established) ServerPID() int { return first(e.ServerPIDs) }

func first(s []int) int {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

// FindEstablished returns the ESTABLISHED pairs between client port
// localPort (0 = any) and server port remotePort where both ends are on this
// host, i.e. a socket local=localPort remote=remotePort and its peer
// local=remotePort remote=localPort.
func FindEstablished(localPort, remotePort int) ([]Established, error) {
	socks, err := ReadSockets()
	if err != nil {
		return nil, err
	}
	type key struct {
		lport, rport int
		lip, rip     string
	}
	idx := map[key]Socket{}
	for _, s := range socks {
		if s.State == tcpEstablished {
			idx[key{s.LocalPort, s.RemotePort, s.LocalIP.String(), s.RemoteIP.String()}] = s
		}
	}
	var pairs []Established
	inodes := map[uint64]bool{}
	type pairInodes struct{ c, s uint64 }
	var pin []pairInodes
	for k, c := range idx {
		if k.rport != remotePort || (localPort != 0 && k.lport != localPort) {
			continue
		}
		s, ok := idx[key{k.rport, k.lport, k.rip, k.lip}]
		if !ok {
			continue
		}
		pairs = append(pairs, Established{ClientPort: c.LocalPort, ServerPort: s.LocalPort, ClientIP: c.LocalIP, ServerIP: s.LocalIP})
		pin = append(pin, pairInodes{c.Inode, s.Inode})
		inodes[c.Inode], inodes[s.Inode] = true, true
	}
	owners := socketOwners(inodes)
	for i := range pairs {
		pairs[i].ClientPIDs = owners[pin[i].c]
		pairs[i].ServerPIDs = owners[pin[i].s]
	}
	return pairs, nil
}

// EstablishTimeout bounds WaitEstablished and WaitClosed.
const EstablishTimeout = 15 * time.Second

// WaitEstablished polls /proc/net/tcp(6) until an ESTABLISHED pair between
// client port localPort (0 = any) and server port remotePort exists with a
// pid found for both ends, and returns it (the first one if several). The
// pid scan of /proc is not atomic: a socket handed from a listener to a
// forked child (xrdp) can be missed once, hence the wait for both pids.
// It fails the test after EstablishTimeout if there is no pair at all; a
// pair whose pids stayed unknown is returned with a log line.
func WaitEstablished(t testing.TB, localPort, remotePort int) Established {
	t.Helper()
	var pairs []Established
	var lastErr error
	var found *Established
	waitUntil(EstablishTimeout, func() bool {
		pairs, lastErr = FindEstablished(localPort, remotePort)
		for i := range pairs {
			if len(pairs[i].ClientPIDs) > 0 && len(pairs[i].ServerPIDs) > 0 {
				found = &pairs[i]
				return true
			}
		}
		return false
	})
	if found != nil {
		return *found
	}
	if len(pairs) > 0 {
		t.Logf("lab: ESTABLISHED pair %d -> %d found, but not the pids of both ends: %+v", localPort, remotePort, pairs[0])
		return pairs[0]
	}
	t.Fatalf("lab: no ESTABLISHED pair %d -> %d after %v (last error: %v)", localPort, remotePort, EstablishTimeout, lastErr)
	return Established{}
}

// WaitClosed polls until no ESTABLISHED pair between localPort (0 = any) and
// remotePort is left; it fails the test after EstablishTimeout.
func WaitClosed(t testing.TB, localPort, remotePort int) {
	t.Helper()
	var pairs []Established
	ok := waitUntil(EstablishTimeout, func() bool {
		pairs, _ = FindEstablished(localPort, remotePort)
		return len(pairs) == 0
	})
	if !ok {
		t.Fatalf("lab: ESTABLISHED pairs %d -> %d still there after %v: %+v", localPort, remotePort, EstablishTimeout, pairs)
	}
}
