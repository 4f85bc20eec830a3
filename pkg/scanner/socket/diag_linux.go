package socket

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
)

// On Linux sockets are listed with netlink sock_diag, as ss does: reading
// /proc/net/tcp makes the kernel walk its whole connection hash table, which
// on a host with much memory takes milliseconds per file. Owners come from
// the /proc/PID/fd socket links.

const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
)

var tcpStates = map[uint8]string{1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
	6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}

// list returns the host's TCP and UDP sockets (IPv4 and IPv6) with owners.
func list(ctx context.Context) ([]inventory.Socket, error) {
	var out []diagSocket
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
			socks, err := dump(fam, proto)
			if err != nil {
				return listPortable(ctx) // no netlink here: the slow, sure way
			}
			out = append(out, socks...)
		}
	}
	owners := inodeOwners()
	for i := range out {
		if pid, ok := owners[out[i].inode]; ok {
			out[i].PID = pid
		}
	}
	res := make([]inventory.Socket, len(out))
	for i, s := range out {
		res[i] = s.Socket
	}
	return res, nil
}

type diagSocket struct {
	inventory.Socket
	inode uint32
}

// dump asks the kernel for every socket of one family and protocol.
func dump(family, proto uint8) ([]diagSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqLen)
	binary.NativeEndian.PutUint32(req[0:4], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:6], sockDiagByFamily)
	binary.NativeEndian.PutUint16(req[6:8], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:12], 1)
	r := req[unix.NLMSG_HDRLEN:]
	r[0], r[1] = family, proto
	binary.NativeEndian.PutUint32(r[4:8], 0xffffffff) // every state
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out []diagSocket
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				return nil, errors.New("sock_diag: kernel returned an error")
			}
			if s, ok := parseDiag(m.Data, proto); ok {
				out = append(out, s)
			}
		}
	}
}

func parseDiag(b []byte, proto uint8) (diagSocket, bool) {
	if len(b) < inetDiagMsgLen {
		return diagSocket{}, false
	}
	fam, state := b[0], b[1]
	id := b[4:52]
	sport, dport := binary.BigEndian.Uint16(id[0:2]), binary.BigEndian.Uint16(id[2:4])
	src, dst := addr(fam, id[4:20]), addr(fam, id[20:36])
	sk := evidence.Socket{Proto: "tcp", State: tcpStates[state], LocalIP: src.String(), LocalPort: uint32(sport)}
	if proto == unix.IPPROTO_UDP {
		sk.Proto, sk.State = "udp", "NONE"
	}
	if dport != 0 || !dst.IsUnspecified() {
		sk.RemoteIP, sk.RemotePort = dst.String(), uint32(dport)
	}
	return diagSocket{Socket: inventory.Socket{Socket: sk}, inode: binary.NativeEndian.Uint32(b[68:72])}, true
}

func addr(fam uint8, b []byte) netip.Addr {
	if fam == unix.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}

// inodeOwners maps socket inodes to the pid holding them, from the
// /proc/PID/fd links readable to this user.
func inodeOwners() map[uint32]int32 {
	owners := map[uint32]int32{}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return owners
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + p.Name() + "/fd/"
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // other users' processes without root; exited ones
		}
		for _, fd := range fds {
			link, err := os.Readlink(dir + fd.Name())
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if ino, err := strconv.ParseUint(strings.TrimSuffix(link[len("socket:["):], "]"), 10, 32); err == nil {
				if _, seen := owners[uint32(ino)]; !seen {
					owners[uint32(ino)] = int32(pid)
				}
			}
		}
	}
	return owners
}
