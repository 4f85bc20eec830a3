package session_test

import (
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/session"
)

// keyed is an established incoming record of tool "t" without a peer (no
// remote ID or IP), with a join key and one dated evidence item at `at`.
func keyed(path, key, start, end, at string, open bool) session.Record {
	r := rec("windows-eventlog", path, session.Incoming, session.Established, "", start, end, open)
	r.Key = key
	if at != "" {
		r.Evidence[0].Time = tp(at)
	}
	return r
}

// Events exported one per file (the Splashtop and ScreenConnect samples):
// no peer in them, so the join key and the times decide.
func TestJoinByKeyWithoutPeer(t *testing.T) {
	t.Run("same session ID, active at the same time: one session, both transfers", func(t *testing.T) {
		a := keyed("1100.xml", "splashtop|host|456090679", "", "", "2022-02-23 01:46:30.123", false)
		b := keyed("1101.xml", "splashtop|host|456090679", "", "", "2022-02-23 01:46:30.123", false)
		a.Transfers = []session.Transfer{{Time: a.Evidence[0].Time, Direction: "unknown", Name: "f.exe", Kind: "event 1100"}}
		b.Transfers = []session.Transfer{{Time: b.Evidence[0].Time, Direction: "unknown", Name: "f.exe", Kind: "event 1101"}}
		out := session.Join([]session.Record{a, b})
		if len(out) != 1 || len(out[0].Evidence) != 2 || len(out[0].Transfers) != 2 {
			t.Fatalf("%d records: %+v", len(out), out)
		}
		if out[0].Start != nil || out[0].End != nil || out[0].When() != "active at 2022-02-23T01:46:30Z" {
			t.Errorf("start %v end %v, %q", out[0].Start, out[0].End, out[0].When())
		}
	})
	t.Run("the same transfer entry in two copies of a log is one transfer", func(t *testing.T) {
		a := keyed("copy1.xml", "splashtop|host|1", "", "", "2022-02-23 01:46:30.123", false)
		b := keyed("copy2.xml", "splashtop|host|1", "", "", "2022-02-23 01:46:30.123", false)
		a.Transfers = []session.Transfer{{Time: a.Evidence[0].Time, Direction: "unknown", Name: "f.exe", Kind: "event 1100"}}
		b.Transfers = []session.Transfer{{Time: b.Evidence[0].Time, Direction: "unknown", Name: "f.exe", Kind: "event 1100"}}
		if out := session.Join([]session.Record{a, b}); len(out) != 1 || len(out[0].Transfers) != 1 {
			t.Errorf("%+v", out)
		}
	})
	t.Run("different session IDs stay apart", func(t *testing.T) {
		a := keyed("a.xml", "splashtop|host|1", "", "", "2022-02-23 01:46:30.123", false)
		b := keyed("b.xml", "splashtop|host|2", "", "", "2022-02-23 01:46:30.123", false)
		if out := session.Join([]session.Record{a, b}); len(out) != 2 {
			t.Errorf("%d records", len(out))
		}
	})
	t.Run("no key, no peer: never joined", func(t *testing.T) {
		a := keyed("a.xml", "", "", "", "2022-02-23 01:46:30.123", false)
		b := keyed("b.xml", "", "", "", "2022-02-23 01:46:30.123", false)
		if out := session.Join([]session.Record{a, b}); len(out) != 2 {
			t.Errorf("%d records", len(out))
		}
	})
	t.Run("an empty key part matches any; connect, disconnect and end join, the earlier transfer does not", func(t *testing.T) {
		// The ScreenConnect samples: "USERNAME Connected", "USER
		// Disconnected" (named differently by whoever sanitised them), "host
		// ended the session" (no name) 0.4 s later, and a transfer the
		// evening before the connect.
		con := keyed("100.xml", "screenconnect|computer|username", "2024-02-26 03:25:21.679", "", "2024-02-26 03:25:21.679", true)
		dis := keyed("101.xml", "screenconnect|computer|user", "", "2024-02-26 05:30:16.991", "2024-02-26 05:30:16.991", false)
		end := keyed("30.xml", "screenconnect|computer|", "", "2024-02-26 05:30:17.393", "2024-02-26 05:30:17.393", false)
		xfer := keyed("201.xml", "screenconnect|computer|", "", "", "2024-02-25 21:54:32.024", false)
		out := session.Join([]session.Record{con, dis, end, xfer})
		if len(out) != 2 {
			t.Fatalf("%d records: %+v", len(out), out)
		}
		s := out[0]
		if ts(s.Start) != "2024-02-26 03:25:21.679" || ts(s.End) != "2024-02-26 05:30:17.393" || len(s.Evidence) != 3 || s.Open {
			t.Errorf("session %s–%s, %d evidence, open %v", ts(s.Start), ts(s.End), len(s.Evidence), s.Open)
		}
		if x := out[1]; x.Evidence[0].Path != "201.xml" || x.Start != nil || x.End != nil {
			t.Errorf("transfer record %+v", x)
		}
		// Without the session, the transfer continues the start-less
		// disconnect (a session may have run for hours before its end)…
		if out := session.Join([]session.Record{dis, xfer}); len(out) != 1 {
			t.Errorf("start-less end and earlier activity: %d records", len(out))
		}
		// …but never one that ended before it, nor a closed one it is outside of.
		late := keyed("201.xml", "screenconnect|computer|", "", "", "2024-02-26 06:00:00.000", false)
		closed := keyed("c.xml", "screenconnect|computer|", "2024-02-26 03:25:21.679", "2024-02-26 05:30:16.991", "", false)
		if out := session.Join([]session.Record{dis, late}); len(out) != 2 {
			t.Errorf("activity after the end joined: %d records", len(out))
		}
		if out := session.Join([]session.Record{closed, xfer}); len(out) != 2 {
			t.Errorf("activity before the start joined: %d records", len(out))
		}
		inside := keyed("201.xml", "screenconnect|computer|", "", "", "2024-02-26 04:00:00.000", false)
		if out := session.Join([]session.Record{closed, inside}); len(out) != 1 || !strings.Contains(out[0].Notes[0], "joined 2 records") {
			t.Errorf("activity inside the session not joined: %+v", out)
		}
	})
	t.Run("keys with different shapes or parts stay apart", func(t *testing.T) {
		for _, k := range [][2]string{{"a|b|c", "a|b"}, {"a|b|c", "a|x|c"}, {"a|b", "x|b"}} {
			a := keyed("a", k[0], "2024-01-01 10:00:00.000", "2024-01-01 10:10:00.000", "", false)
			b := keyed("b", k[1], "2024-01-01 10:00:00.000", "2024-01-01 10:10:00.000", "", false)
			if out := session.Join([]session.Record{a, b}); len(out) != 2 {
				t.Errorf("%q and %q joined", k[0], k[1])
			}
		}
	})
	t.Run("a peer known on both sides still decides", func(t *testing.T) {
		a := keyed("a", "k", "2024-01-01 10:00:00.000", "2024-01-01 10:10:00.000", "", false)
		b := keyed("b", "k", "2024-01-01 10:00:00.000", "2024-01-01 10:10:00.000", "", false)
		a.RemoteIP, b.RemoteIP = "192.0.2.1", "192.0.2.2"
		if out := session.Join([]session.Record{a, b}); len(out) != 2 {
			t.Errorf("different IPs joined by key")
		}
	})
}

func TestRecordWhen(t *testing.T) {
	at := tp("2024-02-25 21:54:32.024")
	cases := []struct {
		r    session.Record
		want string
	}{
		{session.Record{Start: tp("2024-02-26 03:25:21.679"), End: tp("2024-02-26 05:30:16.991")}, "at 2024-02-26T03:25:21Z"},
		{session.Record{End: tp("2024-02-26 05:30:16.991")}, "ended 2024-02-26T05:30:16Z"},
		{session.Record{Evidence: []evidence.Evidence{{}, {Time: tp("2024-02-26 01:00:00.000")}, {Time: at}}}, "active at 2024-02-25T21:54:32Z"},
		{session.Record{Transfers: []session.Transfer{{Time: at}}}, "active at 2024-02-25T21:54:32Z"},
		{session.Record{Evidence: []evidence.Evidence{{}}}, "at an unknown time"},
	}
	for _, c := range cases {
		if got := c.r.When(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}

// Records of two computers never join, not even through a record that names
// none; a short name is its fully qualified form.
func TestJoinKeepsComputersApart(t *testing.T) {
	in, est := session.Incoming, session.Established
	a := rec("rcm", "rcm.evtx", in, est, "", "2018-11-06 21:45:50.411", "", true)
	b := rec("rdpcorets", "corets.evtx", in, session.AttemptOnly, "", "2020-11-13 11:20:28.000", "2020-11-13 11:20:38.000", false)
	a.RemoteIP, b.RemoteIP = "10.0.2.16", "10.0.2.16"
	a.Host, b.Host = "IEWIN7", "MSEDGEWIN10"
	if out := session.Join([]session.Record{a, b}); len(out) != 2 {
		t.Errorf("two computers joined: %+v", out)
	}
	// A host-less record between them joins one, never both.
	c := rec("wire", "cap.pcap", in, est, "", "2020-11-13 11:20:29.000", "2020-11-13 11:20:37.000", false)
	c.RemoteIP = "10.0.2.16"
	out := session.Join([]session.Record{a, b, c})
	if len(out) != 2 {
		t.Fatalf("%d records", len(out))
	}
	for _, r := range out {
		if len(r.Evidence) > 2 {
			t.Errorf("bridged: %q", r.Notes)
		}
	}
	d := rec("lsm", "lsm.evtx", in, est, "", "2020-11-13 11:20:30.000", "", true)
	d.RemoteIP, d.Host = "10.0.2.16", "msedgewin10.example.corp"
	if out := session.Join([]session.Record{b, d}); len(out) != 1 || out[0].Host != "MSEDGEWIN10" {
		t.Errorf("short name and FQDN not one computer: %+v", out)
	}
	e := d
	e.Host = "msedgewin10x.example.corp"
	if out := session.Join([]session.Record{b, e}); len(out) != 2 {
		t.Errorf("different names joined")
	}
}

// A transport-only record (RdpCoreTS 131) keeps "outcome not logged" only
// while nothing joined to it could tell the outcome.
func TestJoinOutcomeUnlogged(t *testing.T) {
	in := session.Incoming
	tr := rec("rdpcorets", "corets.evtx", in, session.AttemptOnly, "", "2020-11-13 11:20:28.000", "2020-11-13 11:20:28.000", false)
	tr.RemoteIP, tr.OutcomeUnlogged = "10.0.2.16", true
	fail := rec("security", "security.evtx", in, session.FailedAuth, "", "2020-11-13 11:20:29.000", "2020-11-13 11:20:29.000", false)
	fail.RemoteIP = "10.0.2.16"
	if out := session.Join([]session.Record{tr, fail}); len(out) != 1 || out[0].Outcome != session.FailedAuth || out[0].OutcomeUnlogged {
		t.Errorf("with a failed logon: %+v", out)
	}
	tr2 := tr
	tr2.Evidence = []evidence.Evidence{{Kind: evidence.KindRecord, Path: "copy.evtx"}}
	if out := session.Join([]session.Record{tr, tr2}); len(out) != 1 || !out[0].OutcomeUnlogged {
		t.Errorf("two transport records: %+v", out)
	}
}

// A second-resolution time that falls on :00 is not a minute: of two
// seconds-resolution starts the earlier wins (xrdp.log 11:14:00 before
// xrdp-sesman 11:14:01), while a minute row's never beats a second's.
func TestJoinSecondOnTheMinute(t *testing.T) {
	in, est := session.Incoming, session.Established
	x := rec("xrdp", "xrdp.log", in, est, "", "2026-11-21 11:14:00.000", "2026-11-21 11:14:20.000", false)
	s := rec("xrdp-sesman", "xrdp-sesman.log", in, est, "", "2026-11-21 11:14:01.000", "2026-11-21 11:14:20.000", false)
	x.RemoteIP, s.RemoteIP = "127.0.0.1", "127.0.0.1"
	if out := session.Join([]session.Record{s, x}); len(out) != 1 || ts(out[0].Start) != "2026-11-21 11:14:00.000" {
		t.Errorf("%+v", out)
	}
	m := rec("ct", "connection_trace.txt", in, est, "", "2026-11-21 11:14:00.000", "", false)
	m.RemoteIP = "127.0.0.1"
	if out := session.Join([]session.Record{s, m}); len(out) != 1 || ts(out[0].Start) != "2026-11-21 11:14:01.000" || out[0].MinuteTimes {
		t.Errorf("minute row won: %+v", out)
	}
}

// A record without a peer (a lone RdpCoreTS 104: no address) never joins
// one that names its peer through the key's empty part, not even inside
// that session's open interval: it may be another client's connection.
func TestJoinKeyNeedsBothPeerless(t *testing.T) {
	in := session.Incoming
	rcm := keyed("rcm.evtx", "windows-rdp|msedgewin10|10.0.2.16|alice", "2020-07-09 19:00:00.000", "", "", true)
	rcm.RemoteIP = "10.0.2.16"
	zone := keyed("corets.evtx", "windows-rdp|msedgewin10||", "2020-07-09 19:47:00.719", "2020-07-09 19:47:00.719", "", false)
	zone.Outcome, zone.Direction = session.AttemptOnly, in
	if out := session.Join([]session.Record{rcm, zone}); len(out) != 2 {
		t.Errorf("peerless record joined a peer's session: %+v", out)
	}
}
