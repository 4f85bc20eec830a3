// Package socket reads the host's TCP/UDP socket table with owning pids.
package socket

import (
	"context"
	"fmt"
	"os"
	"runtime"

	psnet "github.com/shirou/gopsutil/v4/net"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
)

// Scanner is the socket-table scanner.
type Scanner struct{}

// New returns the socket scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return "sockets" }
func (Scanner) Tags() []string { return []string{"live", "any"} }

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	st := inventory.ScannerStatus{Name: "sockets", Status: inventory.StatusOK}
	out, err := list(ctx)
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, err.Error()
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	unknown := 0
	for i := range out {
		// TIME_WAIT sockets belong to no process any more; anything else
		// without a pid has an owner we could not see.
		if out[i].PID == 0 && out[i].State != "TIME_WAIT" {
			out[i].PIDUnknown = true
			unknown++
		}
	}
	st.Items = len(out)
	if unknown > 0 {
		st.Unreadable = unknown
		if runtime.GOOS != "windows" && os.Geteuid() != 0 {
			st.Status = inventory.StatusPartial
			st.Reason = fmt.Sprintf("not root: the owning process of %d of %d sockets could not be read", unknown, len(out))
		} else {
			st.Reason = fmt.Sprintf("%d sockets have no readable owner (kernel, protected or exiting processes)", unknown)
		}
	}
	return inventory.Inventory{Sockets: out, Statuses: []inventory.ScannerStatus{st}}
}

// listPortable lists sockets through gopsutil (every OS; on Linux the
// fallback when netlink is not available).
func listPortable(ctx context.Context) ([]inventory.Socket, error) {
	conns, err := psnet.ConnectionsWithContext(ctx, "inet")
	if err != nil {
		return nil, err
	}
	out := make([]inventory.Socket, 0, len(conns))
	for _, c := range conns {
		s := inventory.Socket{
			Socket: evidence.Socket{Proto: proto(c.Type), LocalIP: c.Laddr.IP, LocalPort: c.Laddr.Port, State: c.Status},
			PID:    c.Pid,
		}
		if c.Raddr.IP != "" && !(c.Raddr.Port == 0 && (c.Raddr.IP == "0.0.0.0" || c.Raddr.IP == "::")) {
			s.RemoteIP, s.RemotePort = c.Raddr.IP, c.Raddr.Port
		}
		if s.Proto == "udp" && s.State == "" {
			s.State = "NONE"
		}
		out = append(out, s)
	}
	return out, nil
}

func proto(t uint32) string {
	if t == 2 { // SOCK_DGRAM
		return "udp"
	}
	return "tcp"
}
