package xrdp

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ratwatch/ratwatch/pkg/session"
)

const (
	sampleXrdp   = "var_log_xrdp.log"
	sampleSesman = "var_log_xrdp-sesman.log"
)

// TestSampleXrdp: xrdp 0.9.21 on 127.0.0.1:3389. Read by hand (lines):
//
//	 8 49900 11:13:48: TLS, login info sent to sesman at 11:13:49, then
//	       "xrdp_iso_send: trans_write_copy_s failed" 11:13:49 — no login
//	       result (xfreerdp +auth-only) → attempt_only, end 11:13:49.
//	28 34146 11:14:00: "login successful for user rdptest on display 10"
//	       11:14:01, lib_mod_log_peer client_port=34146, "SSL_read: Failure"
//	       11:14:07 → established 11:14:00–11:14:07, rdptest, :10.
//	59 50252 11:27:09: login info sent 11:27:10, client gone 11:27:10 (+auth-only
//	       with the wrong password: sesman logs AUTHFAIL at 11:27:11) →
//	       attempt_only 11:27:09–11:27:10.
//	79 58028 11:27:15: "login failed for user rdptest" 11:27:18, client killed
//	       ("SSL_read") 11:27:26 → failed_auth 11:27:15–11:27:26.
func TestSampleXrdp(t *testing.T) {
	path, data := readSample(t, sampleXrdp)
	res := parse(t, New(), path, data, time.UTC)
	const ip = "127.0.0.1"
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:13:48Z", "2026-11-21T11:13:49Z", ip, 49900, session.AttemptOnly, "", "", false, "xrdp|127.0.0.1|49900"},
		{"2026-11-21T11:14:00Z", "2026-11-21T11:14:07Z", ip, 34146, session.Established, "rdptest", ":10", false, "xrdp|127.0.0.1|34146"},
		{"2026-11-21T11:27:09Z", "2026-11-21T11:27:10Z", ip, 50252, session.AttemptOnly, "", "", false, "xrdp|127.0.0.1|50252"},
		{"2026-11-21T11:27:15Z", "2026-11-21T11:27:26Z", ip, 58028, session.FailedAuth, "rdptest", "", false, "xrdp|127.0.0.1|58028"},
	})
	checkEvidence(t, path, data, res.Sessions)
	for i, r := range res.Sessions {
		if r.RemoteName != "vm" {
			t.Errorf("#%d: remote name %q", i, r.RemoteName)
		}
		if !strings.Contains(strings.Join(r.Notes, "|"), "TLS: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384") {
			t.Errorf("#%d: no TLS note: %q", i, r.Notes)
		}
	}
	// The established session is backed by the login line (48, the first of
	// the two copies) and the lib_mod_log_peer line (53).
	var got []int
	for _, e := range res.Sessions[1].Evidence {
		for _, f := range e.Fields {
			if f == "outcome" {
				got = append(got, e.Line)
			}
		}
	}
	if len(got) != 2 || got[0] != 48 || got[1] != 53 {
		t.Errorf("outcome evidence lines %v, want [48 53]", got)
	}
	if res.Lines != 104 || len(res.Errors) != 0 {
		t.Errorf("lines %d errors %v", res.Lines, res.Errors)
	}
}

// TestSampleSesman: xrdp-sesman.log of the same run. By hand:
//
//	 4 "++ created session (access granted): username rdptest, ip
//	   127.0.0.1:49900" 11:13:49; line 7 gives display :10.0, session_pid
//	   20780 → established (credentials accepted, Xorg :10 started).
//	19 "++ reconnected session: username rdptest, display :10.0, session_pid
//	   20780, ip 127.0.0.1:34146" 11:14:01 → established.
//	31 "++ terminated session … display :10.0, session_pid 20780" 11:23:50:
//	   the desktop session ends; sesman never logs the RDP disconnect, so
//	   both records keep End empty but are no longer open.
//	33/34 pam_authenticate failed + AUTHFAIL ip=127.0.0.1 11:27:11 → failed_auth.
//	38/39 the same at 11:27:18 → failed_auth.
func TestSampleSesman(t *testing.T) {
	path, data := readSample(t, sampleSesman)
	res := parse(t, NewSesman(), path, data, time.UTC)
	const ip = "127.0.0.1"
	checkSessions(t, res.Sessions, []exp{
		{"2026-11-21T11:13:49Z", "", ip, 49900, session.Established, "rdptest", ":10", false, "xrdp|127.0.0.1|49900"},
		{"2026-11-21T11:14:01Z", "", ip, 34146, session.Established, "rdptest", ":10", false, "xrdp|127.0.0.1|34146"},
		{"2026-11-21T11:27:11Z", "2026-11-21T11:27:11Z", ip, 0, session.FailedAuth, "rdptest", "", false, "xrdp|127.0.0.1|0"},
		{"2026-11-21T11:27:18Z", "2026-11-21T11:27:18Z", ip, 0, session.FailedAuth, "rdptest", "", false, "xrdp|127.0.0.1|0"},
	})
	checkEvidence(t, path, data, res.Sessions)
	for i := 0; i < 2; i++ {
		if !strings.Contains(strings.Join(res.Sessions[i].Notes, "|"), "terminated at 2026-11-21T11:23:50Z") {
			t.Errorf("#%d: termination note missing: %q", i, res.Sessions[i].Notes)
		}
	}
	// The AUTHFAIL epoch (UTC) agrees with reading the log as UTC.
	if !strings.Contains(strings.Join(res.Sessions[2].Notes, "|"), "agrees") {
		t.Errorf("epoch note: %q", res.Sessions[2].Notes)
	}
	if res.Lines != 41 || len(res.Errors) != 0 {
		t.Errorf("lines %d errors %v", res.Lines, res.Errors)
	}
}

// The xrdp.log and xrdp-sesman.log records of one connection share a key.
func TestJoinKeys(t *testing.T) {
	xp, xd := readSample(t, sampleXrdp)
	sp, sd := readSample(t, sampleSesman)
	x := parse(t, New(), xp, xd, time.UTC)
	s := parse(t, NewSesman(), sp, sd, time.UTC)
	keys := map[string]session.Outcome{}
	for _, r := range x.Sessions {
		keys[r.Key] = r.Outcome
	}
	for _, r := range s.Sessions[:2] {
		if _, ok := keys[r.Key]; !ok {
			t.Errorf("sesman key %s has no xrdp.log record", r.Key)
		}
	}
}

// Read with the wrong zone, the AUTHFAIL epoch disagrees and the record says so.
func TestSesmanWrongZone(t *testing.T) {
	path, data := readSample(t, sampleSesman)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	res := parse(t, NewSesman(), path, data, berlin)
	r := res.Sessions[2]
	if !sameTime(r.Start, ts(t, "2026-11-21T10:27:11Z")) || !strings.Contains(r.TimeRule, "Europe/Berlin") {
		t.Errorf("Berlin reading %v rule %q", r.Start, r.TimeRule)
	}
	if !strings.Contains(strings.Join(r.Notes, "|"), "zone is probably wrong by 1h0m0s") {
		t.Errorf("no zone warning: %q", r.Notes)
	}
}
