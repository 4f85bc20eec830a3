// Package wireinv turns a capture analysis (pkg/wire) into inventory: the
// tools' flows, the session records and attempts found on the wire, and a
// coverage entry per tool so the verdict knows the capture was read.
package wireinv

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/wire"
)

// FromReport converts one capture's report; err is the analysis error (a cut
// or corrupt capture), reported as a partial source.
func FromReport(rep *wire.Report, err error) inventory.Inventory {
	var inv inventory.Inventory
	st := inventory.ScannerStatus{Name: "capture " + rep.Name, Status: inventory.StatusOK, Items: int(rep.Stats.Packets)}
	if err != nil {
		st.Status, st.Reason = inventory.StatusPartial, err.Error()
	}
	for _, w := range rep.Warnings {
		st.Errors = append(st.Errors, w)
	}
	st.Notes = []string{capturingHost(rep)}
	n := 0
	for _, f := range rep.Flows {
		if f.Tool != "" {
			n++
		}
	}
	inv.Flows = make([]inventory.Flow, 0, n)
	inv.Sessions = make([]session.Record, 0, len(rep.Records))
	for _, f := range rep.Flows {
		if f.Tool == "" {
			continue
		}
		ref := f.FirstPacket
		if f.Label != nil {
			ref = *f.Label
		}
		sk := evidence.Socket{Proto: f.Proto, LocalIP: addr(f.Client.IP), LocalPort: uint32(f.Client.Port),
			RemoteIP: addr(f.Server.IP), RemotePort: uint32(f.Server.Port)}
		first := f.First.UTC()
		// The evidence's time is its packet's (the record it points at),
		// not the flow's first packet.
		at := first
		if !ref.Time.IsZero() {
			at = ref.Time.UTC()
		}
		off := ref.Offset
		if off < 0 { // live capture without a file
			off = 0
		}
		inv.Flows = append(inv.Flows, inventory.Flow{
			Tool: f.Tool, Role: string(f.Role), Verdict: string(f.Verdict), Why: f.Why, Protocol: f.Protocol, By: f.By,
			Controlled: f.Controlled, Socket: sk, First: first, Last: f.Last.UTC(), Bytes: f.Bytes, Packets: f.Packets,
			Evidence: evidence.Evidence{Kind: evidence.KindPacket, Scanner: "wire", Path: rep.Name, Offset: off, RecordID: ref.Packet,
				Socket: &sk, Time: &at, Raw: ref.Hex,
				Summary: fmt.Sprintf("%s %s flow (%s, by %s): %s", f.Tool, f.Role, f.Verdict, f.By, f.Why)},
		})
	}
	for _, r := range rep.Records {
		// A live capture has no file: offset -1 becomes "no offset" (on a
		// copy: the wire report stays as it was).
		if slices.ContainsFunc(r.Evidence, func(e evidence.Evidence) bool { return e.Offset < 0 }) {
			r.Evidence = slices.Clone(r.Evidence)
			for i := range r.Evidence {
				r.Evidence[i].Offset = max(r.Evidence[i].Offset, 0)
			}
		}
		inv.Sessions = append(inv.Sessions, r)
	}
	// Coverage: the capture was read for every tool it saw.
	tools := map[string]int{}
	for _, t := range rep.Tools {
		tools[t.Tool] = 0
	}
	for _, r := range rep.Records {
		tools[r.Tool]++
	}
	names := make([]string, 0, len(tools))
	for t := range tools {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		lf := inventory.LogFile{Tool: t, Parser: "wire", Path: rep.Name, Status: inventory.StatusOK, Shared: true,
			Lines: int(rep.Stats.Packets), Records: tools[t], Found: "capture"}
		if !rep.First.IsZero() {
			a, b := rep.First.UTC(), rep.Last.UTC()
			lf.FirstTime, lf.LastTime = &a, &b
		}
		if err != nil {
			lf.Status, lf.Errors = inventory.StatusPartial, []string{err.Error()}
		}
		inv.Logs = append(inv.Logs, lf)
	}
	inv.Statuses = []inventory.ScannerStatus{st}
	return inv
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// capturingHost says which addresses the capture's directions are relative
// to, and how they were chosen (wire.Report.LocalBy).
func capturingHost(rep *wire.Report) string {
	addrs := make([]string, len(rep.Local))
	for i, a := range rep.Local {
		addrs[i] = addr(a)
	}
	const check = "; give --local-ip if that is wrong"
	how := ""
	switch rep.LocalBy {
	case wire.LocalByCaptureHost:
		how = "this machine's own interface addresses: the capture was taken here"
	case "option":
		how = "given with --local-ip"
	case "dns-client":
		how = "inferred: the address that sent the DNS queries" + check
	case "most-flows":
		how = "inferred: the address in the most flows" + check
	case "private-address":
		how = "inferred: the only private address among the busiest" + check
	case "undetermined", "":
		return "capturing host undetermined, so directions are unknown (each record names the controlled address); give --local-ip to decide them"
	default:
		how = rep.LocalBy
	}
	return "capturing host " + strings.Join(addrs, ", ") + " (" + how + "); incoming means this host was the one controlled"
}
