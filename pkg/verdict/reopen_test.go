package verdict

import (
	"fmt"
	"testing"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/match"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// Four viewers from one address of one x11vnc: the log ended 1001 and 1002
// (its disconnect lines name no port), which are connected now; 1003 left
// at 10:00:30, 1004 (came at 10:00:35) at 10:00:40. Whatever the order of a map,
// the same records are reopened and the same end moves: run it many times.
func TestReopenLiveIsDeterministic(t *testing.T) {
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, "2026-01-01T"+s+"Z"); return &v }
	started := at("09:00:00")
	servers := []match.ProcMatch{{P: inventory.Process{PID: 7, Name: "x11vnc", Started: started}, Role: match.RoleServer}}
	live := func(port uint32) match.SockMatch {
		return match.SockMatch{S: inventory.Socket{PID: 7, Socket: evidence.Socket{Proto: "tcp", LocalIP: "127.0.0.1", LocalPort: 5900,
			RemoteIP: "127.0.0.1", RemotePort: port, State: "ESTABLISHED"}}, Class: match.SockInbound}
	}
	inbound := []match.SockMatch{live(1001), live(1002)}
	mk := func() []session.Record {
		r := func(port uint32, start, end string) session.Record {
			x := session.Record{Tool: "x11vnc", Direction: session.Incoming, Outcome: session.Established, RemoteIP: "127.0.0.1", RemotePort: port, Start: at(start)}
			if end != "" {
				x.End = at(end)
			}
			x.Finish()
			return x
		}
		return []session.Record{r(1001, "10:00:00", "10:00:30"), r(1002, "10:00:01", "10:00:40"), r(1003, "10:00:02", ""), r(1004, "10:00:35", "")}
	}
	state := func(rs []session.Record) string {
		s := ""
		for _, r := range rs {
			e := "-"
			if r.End != nil {
				e = r.End.Format("15:04:05")
			}
			s += fmt.Sprintf("%d:%v:%s ", r.RemotePort, r.Open, e)
		}
		return s
	}
	first := ""
	for i := 0; i < 200; i++ {
		rs := mk()
		reopenLive(rs, inbound, servers)
		if i == 0 {
			first = state(rs)
			// In record order: 1001's end (10:00:30) can only be 1003's
			// (1004 came later), then 1002's (10:00:40) is 1004's.
			if first != "1001:true:- 1002:true:- 1003:false:10:00:30 1004:false:10:00:40 " {
				t.Fatalf("ends: %s", first)
			}
			continue
		}
		if s := state(rs); s != first {
			t.Fatalf("run %d: %s, run 0: %s", i, s, first)
		}
	}
}
