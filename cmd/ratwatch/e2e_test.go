package main

// End-to-end tests: the built ratwatch binary scans this host while real
// servers (x11vnc, xrdp) serve real clients on 127.0.0.1. Nothing is mocked;
// processes are started and stopped by pid through internal/lab.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ratwatch/ratwatch/internal/shared"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ratwatch/ratwatch/internal/lab"
	"github.com/ratwatch/ratwatch/internal/rfb"
	"github.com/ratwatch/ratwatch/pkg/hive/hivetest"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/report"
	"github.com/ratwatch/ratwatch/pkg/session"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ratwatch-e2e-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "ratwatch")
	os.Chmod(dir, 0o755) // the non-root test runs the binary as nobody
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building ratwatch: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// scan runs `ratwatch ARGS -o json`, validates the output against the
// published schema, and returns the report and exit code.
func scan(t *testing.T, args ...string) (*report.Report, int) {
	t.Helper()
	return scanAs(t, nil, args...)
}

// scanAs runs the scan with the given credentials (nil: as this process).
func scanAs(t *testing.T, cred *syscall.Credential, args ...string) (*report.Report, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, append(args, "-o", "json")...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running ratwatch: %v", err)
	}
	if code == 1 {
		t.Fatalf("ratwatch %v exited 1: %s", args, errb.String())
	}
	validate(t, out.Bytes())
	var r report.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if r.ExitCode != code {
		t.Fatalf("report says exit_code %d, process exited %d", r.ExitCode, code)
	}
	return &r, code
}

func validate(t *testing.T, raw []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("../../docs/schema/report.schema.json")
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("output: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			b, _ := json.MarshalIndent(ve.BasicOutput(), "", " ")
			t.Fatalf("output does not match docs/schema/report.schema.json: %s", b)
		}
		t.Fatalf("output does not match docs/schema/report.schema.json: %v", err)
	}
}

func finding(t *testing.T, r *report.Report, id string) *report.Finding {
	t.Helper()
	for i := range r.Findings {
		if r.Findings[i].Tool.ID == id {
			return &r.Findings[i]
		}
	}
	t.Fatalf("no %s finding; tools: %v", id, r.Verdict.Tools)
	return nil
}

func hasState(f *report.Finding, s string) bool {
	for _, x := range f.States {
		if x == s {
			return true
		}
	}
	return false
}

// sessionFrom finds the record of the connection from 127.0.0.1:port.
func sessionFrom(rs []session.Record, port int) *session.Record {
	for i := range rs {
		if rs[i].RemoteIP == "127.0.0.1" && int(rs[i].RemotePort) == port {
			return &rs[i]
		}
	}
	return nil
}

// socketMatch finds a socket match of the given class on the server port
// (and from the client port when it is not 0).
func socketMatch(f *report.Finding, class string, serverPort, clientPort int) *report.Match {
	for i := range f.Matches {
		m := &f.Matches[i]
		if m.Kind != "socket" || m.Role != class || len(m.Evidence) == 0 || m.Evidence[0].Socket == nil {
			continue
		}
		s := m.Evidence[0].Socket
		if int(s.LocalPort) == serverPort && (clientPort == 0 || int(s.RemotePort) == clientPort) {
			return m
		}
	}
	return nil
}

// vncControl connects to a VNC server and drives it: 4 key events, 3
// pointer events, one framebuffer update.
func vncControl(t *testing.T, addr, password string) *rfb.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rfb.Dial(ctx, addr, rfb.Config{Password: password})
	if err != nil {
		t.Fatalf("rfb.Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	for _, k := range []struct {
		sym  uint32
		down bool
	}{{'l', true}, {'l', false}, {0xff0d, true}, {0xff0d, false}} {
		if err := c.KeyEvent(k.sym, k.down); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []struct {
		b    uint8
		x, y uint16
	}{{0, 5, 5}, {1, 30, 30}, {0, 30, 30}} {
		if err := c.PointerEvent(p.b, p.x, p.y); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.FramebufferUpdateRequest(false, 0, 0, 16, 16); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitFramebufferUpdate(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

func clientPort(c *rfb.Client) int { return c.LocalAddr().(*net.TCPAddr).Port }

// x11vncLab starts x11vnc on a fresh Xvfb for a test that scans the whole
// host: as root, holding the host lock.
func x11vncLab(t *testing.T, opts lab.VNCOpts) *lab.Server {
	t.Helper()
	lab.Require(t, "Xvfb", "x11vnc")
	lab.RequireRoot(t)
	lab.HostLock(t)
	return lab.X11VNC(t, lab.Xvfb(t), opts)
}

// TestVNCSessionActiveThenPast: a real viewer controls x11vnc; the scan must
// see x11vnc installed (dpkg), running, listening, and an ACTIVE incoming
// session from 127.0.0.1; after the viewer leaves, the session is PAST.
func TestVNCSessionActiveThenPast(t *testing.T) {
	srv := x11vncLab(t, lab.VNCOpts{})
	c := vncControl(t, srv.Addr(), "")
	cport := clientPort(c)
	pair := lab.WaitEstablished(t, cport, srv.Port)
	srv.WaitLog(t, "executing handler for type 1", 5*time.Second)

	r, code := scan(t, "scan")
	if code != 3 || r.Verdict.RemoteControl != report.Established || r.Verdict.Leak != "must be assumed" {
		t.Fatalf("exit %d, verdict %s (%s)", code, r.Verdict.RemoteControl, r.Verdict.Summary)
	}
	f := finding(t, r, "x11vnc")
	for _, s := range []string{"installed", "running", "connected", "session-past", "session-active"} {
		if !hasState(f, s) {
			t.Errorf("x11vnc states %v lack %s", f.States, s)
		}
	}
	if f.State != "session-active" || f.Verdict != report.Established {
		t.Errorf("state %s verdict %s, want session-active established", f.State, f.Verdict)
	}
	pkg := false
	for _, m := range f.Matches {
		if m.Kind == "package" && len(m.Hits) > 0 && m.Hits[0].Rule == "software.dpkg" && m.Hits[0].Value == "x11vnc" {
			pkg = true
		}
	}
	if !pkg {
		t.Errorf("no dpkg package match for x11vnc")
	}
	if m := socketMatch(f, "listening", srv.Port, 0); m == nil || int(m.Evidence[0].PID) != srv.PID {
		t.Errorf("no listening socket on %d owned by x11vnc pid %d", srv.Port, srv.PID)
	}
	if m := socketMatch(f, "inbound", srv.Port, cport); m == nil || int(m.Evidence[0].PID) != pair.ServerPID() {
		t.Errorf("no inbound connection 127.0.0.1:%d <- 127.0.0.1:%d owned by pid %d", srv.Port, cport, pair.ServerPID())
	}
	for name, c := range map[string]report.Condition{"running": f.Conditions.Running, "online": f.Conditions.Online, "session": f.Conditions.Session} {
		if c.Status != report.Met {
			t.Errorf("condition %s = %s (%s), want met", name, c.Status, c.Reason)
		}
	}
	s := sessionFrom(f.Incoming, cport)
	if s == nil {
		t.Fatalf("no incoming session from 127.0.0.1:%d in %+v", cport, f.Incoming)
	}
	if !s.Open || s.End != nil || s.Outcome != session.Established || s.Direction != session.Incoming || s.AuthMethod != "none" {
		t.Errorf("active session: open=%v end=%v outcome=%s dir=%s auth=%s", s.Open, s.End, s.Outcome, s.Direction, s.AuthMethod)
	}
	if !strings.Contains(strings.Join(s.Notes, " "), "active:") {
		t.Errorf("session not marked active: %v", s.Notes)
	}
	if s.Evidence[0].Path != srv.LogPath || len(s.Evidence[0].SHA256) != 64 || s.Evidence[0].Line < 1 {
		t.Errorf("evidence %+v does not point into %s", s.Evidence[0], srv.LogPath)
	}
	if r.Verdict.ActiveSessions < 1 {
		t.Errorf("active_sessions %d", r.Verdict.ActiveSessions)
	}

	// The viewer leaves.
	c.Close()
	lab.WaitClosed(t, cport, srv.Port)
	srv.WaitLog(t, "Client 127.0.0.1 gone", 5*time.Second)
	srv.WaitLog(t, "PointerEvent", 5*time.Second)

	r, code = scan(t, "scan")
	if code != 3 || r.Verdict.RemoteControl != report.Established {
		t.Fatalf("after disconnect: exit %d verdict %s", code, r.Verdict.RemoteControl)
	}
	f = finding(t, r, "x11vnc")
	s = sessionFrom(f.Incoming, cport)
	if s == nil {
		t.Fatalf("past session from port %d missing", cport)
	}
	if s.Open || s.End == nil || s.Start == nil || s.End.Before(*s.Start) {
		t.Errorf("past session: open=%v start=%v end=%v", s.Open, s.Start, s.End)
	}
	// The test sent exactly 4 key events and 3 pointer events.
	if s.Input["KeyEvent"] != 4 || s.Input["PointerEvent"] != 3 {
		t.Errorf("input counts %v, want KeyEvent 4, PointerEvent 3", s.Input)
	}
	if socketMatch(f, "inbound", srv.Port, cport) != nil {
		t.Errorf("closed connection still reported inbound")
	}
	if f.State == "session-active" && sessionFrom(f.Incoming, cport).Open {
		t.Errorf("session still active after disconnect")
	}
}

// TestVNCWrongPasswordNotEstablished: a viewer with a wrong password is an
// attempt, never a session.
func TestVNCWrongPasswordNotEstablished(t *testing.T) {
	srv := x11vncLab(t, lab.VNCOpts{Password: "Right-pw-7"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := rfb.Dial(ctx, srv.Addr(), rfb.Config{Password: "wrong-pw"})
	if !errors.Is(err, rfb.ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	srv.WaitLog(t, "password check failed", 5*time.Second)

	r, code := scan(t, "scan")
	// With the host lock held, this server is the only remote-access
	// server running: the host has a tool and an attempt, no session.
	if code != 2 || r.Verdict.RemoteControl != report.NotEstablished || r.Verdict.Leak != "not through remote control" {
		t.Errorf("exit %d verdict %s: %s (%q)", code, r.Verdict.RemoteControl, r.Verdict.Summary, r.Verdict.Reasons)
		for _, f := range r.Findings {
			for _, m := range f.Matches {
				if m.Kind == "process" || m.Kind == "execution" || m.Kind == "log" {
					t.Logf("%s: %s: %s", f.Tool.ID, m.Kind, m.Why)
				}
			}
		}
	}
	f := finding(t, r, "x11vnc")
	if f.Verdict != report.NotEstablished || f.State != "attempted" {
		t.Errorf("x11vnc verdict %s state %s (%s)", f.Verdict, f.State, f.VerdictReason)
	}
	var mine []session.Record
	for _, a := range f.Attempts {
		for _, e := range a.Evidence {
			if e.Path == srv.LogPath {
				mine = append(mine, a)
				break
			}
		}
	}
	if len(mine) != 1 || mine[0].Outcome != session.FailedAuth || mine[0].RemoteIP != "127.0.0.1" {
		t.Fatalf("attempts from this server's log: %+v", mine)
	}
	for _, s := range f.Incoming {
		for _, e := range s.Evidence {
			if e.Path == srv.LogPath {
				t.Fatalf("wrong password reported as a session: %+v", s)
			}
		}
	}
	if !hasState(f, "attempted") || hasState(f, "session-past") {
		t.Errorf("states %v", f.States)
	}
}

// rdpLogged reports whether a record's evidence comes from one of paths.
func rdpLogged(s session.Record, paths ...string) bool {
	for _, e := range s.Evidence {
		for _, p := range paths {
			if e.Path == p {
				return true
			}
		}
	}
	return false
}

// TestRDPSessionActiveThenPast: xfreerdp logs in to xrdp with the right
// password. The scan finds xrdp's logs through its -c config file and must
// report an active incoming session from the client's port; after the client
// leaves (the desktop session survives on the server), the session is past.
func TestRDPSessionActiveThenPast(t *testing.T) {
	lab.Require(t, "Xvfb", "xrdp", "xrdp-sesman", "xfreerdp")
	lab.RequireRoot(t)
	lab.HostLock(t)
	srv := lab.XRDP(t)
	clientDisp := lab.Xvfb(t)
	cl := lab.XFreeRDP(t, clientDisp, "127.0.0.1", srv.Port, srv.User, srv.Password)
	pair := lab.WaitEstablished(t, 0, srv.Port)
	srv.WaitLog(t, "login successful for user "+srv.User, 20*time.Second)
	srv.WaitSesmanLog(t, "Session started successfully for user "+srv.User, 15*time.Second)

	r, code := scan(t, "scan")
	if code != 3 || r.Verdict.RemoteControl != report.Established {
		t.Fatalf("exit %d verdict %s: %s", code, r.Verdict.RemoteControl, r.Verdict.Summary)
	}
	f := finding(t, r, "xrdp")
	if f.State != "session-active" || f.Verdict != report.Established {
		t.Errorf("xrdp state %s verdict %s (%s)", f.State, f.Verdict, f.VerdictReason)
	}
	s := sessionFrom(f.Incoming, pair.ClientPort)
	if s == nil {
		t.Fatalf("no incoming xrdp session from 127.0.0.1:%d; incoming %+v attempts %+v", pair.ClientPort, f.Incoming, f.Attempts)
	}
	if s.LocalUser != srv.User || !s.Open || !rdpLogged(*s, srv.LogPath) {
		t.Errorf("session user %q open %v evidence %+v", s.LocalUser, s.Open, s.Evidence)
	}
	if m := socketMatch(f, "inbound", srv.Port, pair.ClientPort); m == nil {
		t.Errorf("no inbound socket match for the client's connection")
	}
	// The client side: xfreerdp is FreeRDP's viewer; it controls, it is not
	// controlled, so FreeRDP alone must not be called a session here.
	fr := finding(t, r, "freerdp")
	if fr.Verdict != report.NotEstablished || len(fr.Incoming) != 0 {
		t.Errorf("freerdp viewer: verdict %s incoming %d (%s)", fr.Verdict, len(fr.Incoming), fr.VerdictReason)
	}

	if err := cl.Stop(); err != nil {
		t.Logf("stopping xfreerdp: %v", err)
	}
	lab.WaitClosed(t, pair.ClientPort, srv.Port)
	r, code = scan(t, "scan")
	if code != 3 {
		t.Fatalf("after disconnect: exit %d", code)
	}
	f = finding(t, r, "xrdp")
	if f.State != "session-past" {
		t.Errorf("after disconnect: state %s, want session-past", f.State)
	}
	if s := sessionFrom(f.Incoming, pair.ClientPort); s == nil || strings.Contains(strings.Join(s.Notes, " "), "active:") {
		t.Errorf("after disconnect the session must be past: %+v", s)
	}
}

// TestRDPWrongPasswordIsAttempt: xfreerdp with a wrong password stays
// connected at xrdp's login screen — ESTABLISHED at TCP level — but the log
// says the login failed: an attempt, not a session.
func TestRDPWrongPasswordIsAttempt(t *testing.T) {
	lab.Require(t, "Xvfb", "xrdp", "xrdp-sesman", "xfreerdp")
	lab.RequireRoot(t)
	lab.HostLock(t)
	srv := lab.XRDP(t)
	clientDisp := lab.Xvfb(t)
	lab.XFreeRDP(t, clientDisp, "127.0.0.1", srv.Port, srv.User, "not-"+srv.Password)
	pair := lab.WaitEstablished(t, 0, srv.Port)
	srv.WaitLog(t, "login failed for user "+srv.User, 20*time.Second)

	r, code := scan(t, "scan")
	if code != 2 || r.Verdict.RemoteControl != report.NotEstablished {
		t.Errorf("exit %d verdict %s: %s", code, r.Verdict.RemoteControl, r.Verdict.Summary)
	}
	f := finding(t, r, "xrdp")
	if m := socketMatch(f, "inbound", srv.Port, pair.ClientPort); m == nil {
		t.Fatalf("the open TCP connection from port %d is not reported", pair.ClientPort)
	}
	a := sessionFrom(f.Attempts, pair.ClientPort)
	if a == nil || a.Outcome != session.FailedAuth {
		t.Fatalf("no failed_auth attempt from port %d: %+v", pair.ClientPort, f.Attempts)
	}
	if len(f.Incoming) != 0 {
		t.Errorf("wrong password reported as session(s): %+v", f.Incoming)
	}
	if f.State != "attempted" || f.Verdict != report.NotEstablished || f.Conditions.Session.Status != report.NotMet {
		t.Errorf("state %s verdict %s session %s (%s)", f.State, f.Verdict, f.Conditions.Session.Status, f.Conditions.Session.Reason)
	}
}

// TestNonRootScanIsHonest: the same active VNC session, scanned by an
// unprivileged user. It cannot read socket owners, x11vnc's executable or
// root's log, so it must say what it could not see and never call the host
// clean: the verdict is indeterminate, not "not established".
func TestNonRootScanIsHonest(t *testing.T) {
	srv := x11vncLab(t, lab.VNCOpts{})
	c := vncControl(t, srv.Addr(), "")
	lab.WaitEstablished(t, clientPort(c), srv.Port)
	srv.WaitLog(t, "executing handler for type 1", 5*time.Second)

	r, code := scanAs(t, &syscall.Credential{Uid: 65534, Gid: 65534}, "scan")
	if r.Scan.Privileges.Elevated || r.Scan.Privileges.UID != "65534" {
		t.Errorf("privileges %+v", r.Scan.Privileges)
	}
	if r.Verdict.RemoteControl == report.NotEstablished || code == 0 {
		t.Fatalf("non-root scan called the host %s (exit %d) during an active session", r.Verdict.RemoteControl, code)
	}
	if r.Verdict.RemoteControl != report.Indeterminate || code != 2 {
		t.Errorf("verdict %s exit %d, want indeterminate 2", r.Verdict.RemoteControl, code)
	}
	var sockets *string
	for _, s := range r.Scanners {
		if s.Name == "sockets" {
			st := s.Status + ": " + s.Reason
			sockets = &st
		}
	}
	if sockets == nil || !strings.HasPrefix(*sockets, "partial") || !strings.Contains(*sockets, "not root") {
		t.Errorf("sockets scanner status %v, want partial / not root", sockets)
	}
	if len(r.Verdict.Incomplete) == 0 {
		t.Errorf("verdict.incomplete is empty")
	}
	f := finding(t, r, "x11vnc")
	if f.Conditions.Running.Status != report.Met || f.Conditions.Session.Status != report.Unknown {
		t.Errorf("x11vnc conditions running=%s session=%s (%s)", f.Conditions.Running.Status, f.Conditions.Session.Status, f.Conditions.Session.Reason)
	}
}

// sharedDir is ../shared next to the repository (samples are used by path,
// never copied into the repository).
func sharedDir(t *testing.T) string {
	t.Helper()
	return shared.Path(t, ".")
}

// place copies a sample into the image tree at a tool's default location.
func place(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOfflineWindowsImage: a Windows image (a temporary tree) with the real
// TeamViewer log and its Connections_incoming.txt at TeamViewer's default
// folder. The scan must find both at their default paths, join them into ONE
// incoming session (log: local time UTC-8 from its Start: header; list: UTC),
// and call remote control established.
func TestOfflineWindowsImage(t *testing.T) {
	sh := sharedDir(t)
	root := t.TempDir()
	tv := filepath.Join(root, "Program Files", "TeamViewer")
	place(t, filepath.Join(sh, "samples/teamviewer/plaso_TeamViewer15_Logfile.log"), filepath.Join(tv, "TeamViewer15_Logfile.log"))
	place(t, filepath.Join(sh, "samples/teamviewer/plaso_connections_incoming.txt"), filepath.Join(tv, "Connections_incoming.txt"))
	os.MkdirAll(filepath.Join(root, "Windows", "System32"), 0o755)
	os.MkdirAll(filepath.Join(root, "Users", "IEUser"), 0o755)

	r, code := scan(t, "scan", "--root", root, "--os", "windows")
	if code != 3 || r.Verdict.RemoteControl != report.Established || r.Scan.Source.Kind != "directory" || r.Scan.Source.OS != "windows" {
		t.Fatalf("exit %d verdict %s source %+v", code, r.Verdict.RemoteControl, r.Scan.Source)
	}
	f := finding(t, r, "teamviewer")
	if len(f.Incoming) != 1 {
		t.Fatalf("%d incoming TeamViewer sessions, want 1 (log and list joined): %+v", len(f.Incoming), f.Incoming)
	}
	s := f.Incoming[0]
	want0 := time.Date(2024, 2, 16, 14, 16, 32, 0, time.UTC)
	want1 := time.Date(2024, 2, 16, 14, 18, 36, 0, time.UTC)
	if s.RemoteID != "1660360496" || s.Start == nil || s.Start.Truncate(time.Second) != want0 || s.End == nil || s.End.Truncate(time.Second) != want1 {
		t.Errorf("session %s %v–%v, want 1660360496 %v–%v", s.RemoteID, s.Start, s.End, want0, want1)
	}
	srcs := map[string]bool{}
	for _, e := range s.Evidence {
		srcs[filepath.Base(e.Path)] = true
		if len(e.SHA256) != 64 {
			t.Errorf("evidence without sha256: %+v", e)
		}
	}
	if !srcs["TeamViewer15_Logfile.log"] || !srcs["Connections_incoming.txt"] {
		t.Errorf("joined session should cite both files, cites %v", srcs)
	}
	if len(s.Transfers) == 0 {
		t.Errorf("the log's StreamType_File transfer is missing")
	}
	// Offline: processes and sockets cannot be seen, so conditions 1 and 2
	// are unknown, never "not met".
	if f.Conditions.Running.Status != report.Unknown || f.Conditions.Online.Status != report.Unknown {
		t.Errorf("offline conditions running=%s online=%s", f.Conditions.Running.Status, f.Conditions.Online.Status)
	}
}

// TestOfflineLinuxImage: AnyDesk's real Linux service and user traces at
// their default paths (/var/log/anydesk.trace, ~/.anydesk/anydesk.trace):
// exactly one incoming session from 1001025310 (23.162.8.100), ending with
// "Session stopped." at 00:57:14 UTC; the network-level accepts before it
// that never became a session are attempts.
func TestOfflineLinuxImage(t *testing.T) {
	sh := sharedDir(t)
	root := t.TempDir()
	place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk_var_log.trace"), filepath.Join(root, "var/log/anydesk.trace"))
	place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk.trace"), filepath.Join(root, "home/ubu/.anydesk/anydesk.trace"))
	r, code := scan(t, "scan", "--root", root, "--os", "linux")
	if code != 3 || r.Verdict.RemoteControl != report.Established {
		t.Fatalf("exit %d verdict %s", code, r.Verdict.RemoteControl)
	}
	f := finding(t, r, "anydesk")
	if len(f.Incoming) != 1 {
		t.Fatalf("%d incoming AnyDesk sessions, want 1: %+v", len(f.Incoming), f.Incoming)
	}
	s := f.Incoming[0]
	end := time.Date(2025, 9, 22, 0, 57, 14, 139e6, time.UTC)
	if s.RemoteID != "1001025310" || s.RemoteIP != "23.162.8.100" || s.End == nil || !s.End.Equal(end) {
		t.Errorf("session %s %s end %v, want 1001025310 23.162.8.100 end %v", s.RemoteID, s.RemoteIP, s.End, end)
	}
	if len(f.Attempts) == 0 {
		t.Errorf("accepted-but-never-a-session requests should be attempts")
	}
	for _, a := range f.Attempts {
		if a.Outcome == session.Established {
			t.Errorf("attempt with outcome established: %+v", a)
		}
	}
}

// scanWithCapture runs `ratwatch scan --capture D --capture-iface lo` and,
// while the capture runs, do; do returns before the capture ends, so the
// connections it opens are still open when the scan reads the socket table.
func scanWithCapture(t *testing.T, d time.Duration, do func()) *report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "scan", "--capture", d.String(), "--capture-iface", "lo", "-o", "json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	time.Sleep(1500 * time.Millisecond) // the capture is running
	do()
	if time.Since(start) > d {
		t.Errorf("the connection was made after the %v capture ended (%v): the test is too slow for its capture", d, time.Since(start).Round(time.Millisecond))
	}
	err := cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != 3 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	validate(t, out.Bytes())
	var r report.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			p := filepath.Join(os.TempDir(), "ratwatch-"+strings.ReplaceAll(t.Name(), "/", "-")+".json")
			if os.WriteFile(p, out.Bytes(), 0o644) == nil {
				t.Logf("report in %s", p)
			}
		}
	})
	return &r
}

// wireFlow finds the flow match of f for the connection from client port
// cport, and the incoming session the wire made of it.
func wireFlow(f *report.Finding, cport int) (*report.Match, *session.Record) {
	var flow *report.Match
	for i := range f.Matches {
		m := &f.Matches[i]
		if m.Kind == "flow" && len(m.Evidence) > 0 && m.Evidence[0].Socket != nil &&
			(int(m.Evidence[0].Socket.LocalPort) == cport || int(m.Evidence[0].Socket.RemotePort) == cport) {
			flow = m
		}
	}
	for i := range f.Incoming {
		for _, e := range f.Incoming[i].Evidence {
			if e.Kind == "packet" && int(f.Incoming[i].RemotePort) == cport {
				return flow, &f.Incoming[i]
			}
		}
	}
	return flow, nil
}

// TestScanWithLiveCapture: `ratwatch scan --capture` on loopback while a
// real viewer connects to x11vnc and drives it. The wire must show an RFB
// session with input, its flow tied to x11vnc's process through the socket
// table (the connection is still open when the capture ends).
func TestScanWithLiveCapture(t *testing.T) {
	srv := x11vncLab(t, lab.VNCOpts{})

	var cport int
	r := scanWithCapture(t, 4*time.Second, func() {
		cport = clientPort(vncControl(t, srv.Addr(), ""))
	})
	f := finding(t, r, "x11vnc")
	flow, wireSession := wireFlow(f, cport)
	if flow == nil {
		t.Fatalf("no wire flow for the viewer's connection (port %d) in x11vnc's matches", cport)
	}
	if flow.Role != "session" || int(flow.Evidence[0].PID) != srv.PID {
		t.Errorf("flow verdict %s pid %d, want session owned by x11vnc pid %d (%s)", flow.Role, flow.Evidence[0].PID, srv.PID, flow.Why)
	}
	if wireSession == nil {
		t.Fatalf("no incoming session from the wire for port %d: %+v", cport, f.Incoming)
	}
	// vncControl sent 4 key and 3 pointer events: the wire counts them
	// (x11vnc's ServerInit, with its 0xff flags, must be recognised first).
	if wireSession.Input["key"] != 4 || wireSession.Input["pointer"] != 3 {
		t.Errorf("input on the wire %v, want 4 key and 3 pointer events", wireSession.Input)
	}
	if f.State != "session-active" {
		t.Errorf("state %s, want session-active", f.State)
	}
}

// TestScanWithLiveCaptureRDP: the same during a real RDP session. xfreerdp
// logs in to xrdp with the right password and the viewer types a command
// into the session's terminal. The capture sees RDP over TLS carrying the
// screen (the listing the command prints), so the wire alone says session,
// incoming; the flow is tied through the socket table to the xrdp process
// serving the connection (xrdp forks one per client), and joined with the
// xrdp logs' record of the same client port into one session.
func TestScanWithLiveCaptureRDP(t *testing.T) {
	lab.Require(t, "Xvfb", "xrdp", "xrdp-sesman", "xfreerdp", "xterm", "xdotool")
	lab.RequireRoot(t)
	lab.HostLock(t)
	srv := lab.XRDP(t)
	clientDisp := lab.Xvfb(t)

	var pair lab.Established
	// ~10 s of the capture are fixed waits and typing; the rest is room
	// for a slow login.
	r := scanWithCapture(t, 25*time.Second, func() {
		cl := lab.XFreeRDP(t, clientDisp, "127.0.0.1", srv.Port, srv.User, srv.Password)
		pair = lab.WaitEstablished(t, 0, srv.Port)
		srv.WaitLog(t, "login successful for user "+srv.User, 20*time.Second)
		// Read the server end again: xrdp forks a process per client, and
		// right after the connect the listening parent may still hold the
		// socket the child serves.
		pair = lab.WaitEstablished(t, pair.ClientPort, srv.Port)
		driveRDP(t, srv, cl, clientDisp, "")
		time.Sleep(3 * time.Second) // the listings are drawn
	})
	f := finding(t, r, "xrdp")
	flow, wireSession := wireFlow(f, pair.ClientPort)
	if flow == nil {
		t.Fatalf("no wire flow for the client's connection (port %d) in xrdp's matches", pair.ClientPort)
	}
	if flow.Role != "session" || int(flow.Evidence[0].PID) != pair.ServerPID() {
		t.Errorf("flow verdict %s pid %d, want session owned by the xrdp process of the connection, pid %d (%s)",
			flow.Role, flow.Evidence[0].PID, pair.ServerPID(), flow.Why)
	}
	if wireSession == nil || wireSession.Outcome != session.Established {
		t.Fatalf("no established incoming session from the wire for port %d: %+v", pair.ClientPort, f.Incoming)
	}
	t.Logf("wire: %s", flow.Why)
	// One session, not two: the wire's record and the logs' are joined.
	if len(f.Incoming) != 1 || wireSession.Parser != "xrdp+xrdp-sesman+wire" || !rdpLogged(*wireSession, srv.LogPath) || wireSession.LocalUser != srv.User {
		t.Errorf("%d incoming sessions; the wire's (parser %s, user %q) is not joined with the xrdp log's", len(f.Incoming), wireSession.Parser, wireSession.LocalUser)
	}
	if f.State != "session-active" || r.Verdict.RemoteControl != report.Established {
		t.Errorf("state %s, host %s", f.State, r.Verdict.RemoteControl)
	}
	// The report says what "incoming" is relative to: this machine.
	var note string
	for _, st := range r.Scanners {
		if strings.HasPrefix(st.Name, "capture ") && len(st.Notes) > 0 {
			note = st.Notes[0]
		}
	}
	if !strings.Contains(note, "127.0.0.1") || !strings.Contains(note, "this machine's own interface addresses") {
		t.Errorf("capture status note %q", note)
	}
}

// fmtTime is t in UTC with all its digits, or "-".
func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// TestLogsCommand: `ratwatch logs` on the real samples handed over by hand.
// The parser is chosen by file name or content, records of one session from
// several files are joined, and the host verdict follows.
func TestLogsCommand(t *testing.T) {
	sh := sharedDir(t)
	s := func(rel string) string { return filepath.Join(sh, "samples", rel) }
	type want struct {
		tool                         string
		incoming, attempts, outgoing int
	}
	cases := []struct {
		name  string
		paths []string
		code  int
		want  []want
		// partial: logs that stop short (base names); every other must read ok.
		partial []string
		check   func(t *testing.T, r *report.Report)
	}{{
		// Velociraptor's RDPAuth set: one RDP logon from 192.168.38.1 seen in
		// Security, LocalSessionManager and RemoteConnectionManager; the
		// console logon (Address LOCAL) is not a session.
		name: "rdp-evtx", code: 3,
		paths: []string{s("rdp/velociraptor_RDPAuth_Security.evtx"), s("rdp/velociraptor_RDPAuth_LocalSessionManager.evtx"), s("rdp/velociraptor_RDPAuth_RemoteConnectionManager.evtx")},
		want:  []want{{"windows-rdp", 1, 0, 0}},
		check: func(t *testing.T, r *report.Report) {
			x := finding(t, r, "windows-rdp").Incoming[0]
			files := map[string]bool{}
			for _, e := range x.Evidence {
				files[filepath.Base(e.Path)] = true
			}
			if x.RemoteIP != "192.168.38.1" || x.LocalUser != `WINDOMAIN\vagrant` || len(files) != 3 {
				t.Errorf("session %s %s from %v", x.RemoteIP, x.LocalUser, files)
			}
			// Its start is RCM 1149 record 35 (12:34:25.606), its end LSM 23
			// (12:34:40.632): each timeline event cites its own file.
			src := map[string]string{}
			for _, e := range finding(t, r, "windows-rdp").Timeline {
				src[e.Event] = filepath.Base(e.Source)
			}
			if src["session-start"] != "velociraptor_RDPAuth_RemoteConnectionManager.evtx" || src["session-end"] != "velociraptor_RDPAuth_LocalSessionManager.evtx" {
				t.Errorf("timeline sources %v", src)
			}
		},
	}, {
		// x11vnc with a password: a client with no usable auth, a wrong
		// password, then the right one (the log's three connections).
		name: "x11vnc-password", code: 3,
		paths: []string{s("linux-vnc-rdp/x11vnc_-o_logfile_passwd_noauth-wrongpw-rightpw.log")},
		want:  []want{{"x11vnc", 1, 2, 0}},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "x11vnc")
			out := map[session.Outcome]int{}
			for _, a := range f.Attempts {
				out[a.Outcome]++
			}
			if out[session.FailedAuth] != 1 || out[session.AttemptOnly] != 1 || f.Incoming[0].AuthMethod != "vnc-password" {
				t.Errorf("attempts %v, session auth %q", out, f.Incoming[0].AuthMethod)
			}
		},
	}, {
		// AnyDesk on Linux: the service trace and the user's trace of one
		// machine. One incoming session from 1001025310 (relay-reported
		// 23.162.8.100:58346), 00:53:50.850–00:57:14.139, accepted by the
		// user, files sent from /home/ubu/.local/share (names not logged),
		// two clipboard events; five incoming requests that never got in;
		// three outgoing tries closed by the remote side
		// (display_server_not_supported): attempts, not sessions.
		name: "anydesk-traces", code: 3,
		paths: []string{s("anydesk")},
		want:  []want{{"anydesk", 1, 5, 3}},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "anydesk")
			x := f.Incoming[0]
			if fmtTime(x.Start) != "2025-09-22T00:53:50.85Z" || fmtTime(x.End) != "2025-09-22T00:57:14.139Z" || x.RemoteID != "1001025310" ||
				x.RemoteIP != "23.162.8.100" || x.RemotePort != 58346 || len(x.Clipboard) != 2 {
				t.Errorf("session %s–%s %s %s:%d, %d clipboard", fmtTime(x.Start), fmtTime(x.End), x.RemoteID, x.RemoteIP, x.RemotePort, len(x.Clipboard))
			}
			if len(x.Transfers) != 1 || x.Transfers[0].Name != "" || x.Transfers[0].Folder != "/home/ubu/.local/share" || x.Transfers[0].Direction != "from_host" {
				t.Errorf("transfers %+v", x.Transfers)
			}
			for _, o := range f.Outgoing {
				if o.Outcome != session.AttemptOnly {
					t.Errorf("outgoing %s", o.Outcome)
				}
			}
			if v := r.Verdict; v.OutgoingSessions != 0 || v.OutgoingAttempts != 3 || v.Attempts != 5 || v.FileTransfers != 1 {
				t.Errorf("verdict: %d outgoing sessions, %d outgoing attempts, %d attempts, %d transfers", v.OutgoingSessions, v.OutgoingAttempts, v.Attempts, v.FileTransfers)
			}
		},
	}, {
		// TeamViewer: the log and Connections_incoming describe one incoming
		// session; Connections.txt one outgoing.
		name: "teamviewer", code: 3,
		paths: []string{s("teamviewer")},
		want:  []want{{"teamviewer", 1, 0, 1}},
		check: func(t *testing.T, r *report.Report) {
			// The two incoming files could not be written (log lines 948
			// and 953: create_directories: Access is denied, then
			// CopyFilesOperationIncoming::HandleError): tried, not moved.
			x := finding(t, r, "teamviewer").Incoming[0]
			if len(x.Transfers) != 2 || x.Transfers[0].Name != "cert-bundle.crt" || x.Transfers[1].Name != "test" || !x.Transfers[0].Failed || !x.Transfers[1].Failed {
				t.Errorf("transfers %+v", x.Transfers)
			}
			if v := r.Verdict; v.FileTransfers != 0 || v.FailedTransfers != 2 || strings.Contains(v.Summary, "files were moved") || !strings.Contains(v.Summary, "2 file transfer(s) were tried but failed") {
				t.Errorf("verdict %d moved, %d failed: %q", v.FileTransfers, v.FailedTransfers, v.Summary)
			}
		},
	}, {
		// xrdp.log + xrdp-sesman.log: two logins that got a session (one
		// from `+auth-only`, which still made sesman start a desktop), a
		// connection that never logged in, and a wrong password.
		name: "xrdp-logs", code: 3,
		paths: []string{s("linux-vnc-rdp/var_log_xrdp.log"), s("linux-vnc-rdp/var_log_xrdp-sesman.log")},
		want:  []want{{"xrdp", 2, 2, 0}},
		check: func(t *testing.T, r *report.Report) {
			// Port 34146: xrdp.log line 28 "connection received" at
			// 11:14:00, sesman at 11:14:01; the earlier second wins.
			starts := map[uint32]string{}
			for _, x := range finding(t, r, "xrdp").Incoming {
				starts[x.RemotePort] = fmtTime(x.Start)
			}
			if starts[34146] != "2026-11-21T11:14:00Z" {
				t.Errorf("starts %v", starts)
			}
		},
	}, {
		// The whole RDP folder: logs of 15 computers. Sessions of two
		// computers never join (before the records named their computer,
		// RCM 1149s of IEWIN7 from 2018 absorbed RdpCoreTS 131s of
		// MSEDGEWIN10 from 2020, and PC02's 4624 took PC01's 1149): 11
		// evtx2mitre 1149s (11 servers), the 4624 of PC02, 11 RCM 1149s
		// (IEWIN7 ×2, PC01 ×9) and the velociraptor logon; 3 unanswered
		// RCM 261s, the 13 RdpCoreTS 131 connections of MSEDGEWIN10 (2020-11),
		// its 21 RdpCoreTS 104 client time zones (2020-07, one per
		// connection, no address) and the ezmaps 131.
		name: "rdp-folder", code: 3,
		paths:   []string{s("rdp")},
		want:    []want{{"windows-rdp", 24, 38, 0}},
		partial: []string{"ezmaps_LocalSessionManager_24.xml", "ezmaps_LocalSessionManager_40.xml"},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "windows-rdp")
			hosts := map[string]int{}
			for _, x := range append(append([]session.Record{}, f.Incoming...), f.Attempts...) {
				hosts[strings.ToLower(x.Host)]++
				for _, n := range x.Notes {
					if strings.HasPrefix(n, "host also") {
						t.Errorf("session of %s joined another computer's: %q", x.Host, n)
					}
				}
				if x.Start != nil && x.End != nil && x.End.Sub(*x.Start) > 24*time.Hour {
					t.Errorf("%s session %s–%s", x.Host, fmtTime(x.Start), fmtTime(x.End))
				}
			}
			if hosts["iewin7"] != 2 || hosts["pc01.example.corp"] != 12 || hosts["pc02.example.corp"] != 1 || hosts["msedgewin10"] != 34 {
				t.Errorf("records per computer %v", hosts)
			}
			// Sessions on 15 computers (11 evtx2mitre servers, IEWIN7, PC01,
			// PC02, dc.windomain.local): the summary names them, not "that PC".
			if s := r.Verdict.Summary; !strings.Contains(s, "the 15 computers whose logs show them (fs03vuln.offsec.lan,") || !strings.Contains(s, "Disconnect those PCs") {
				t.Errorf("summary %q", s)
			}
		},
	}, {
		// RdpCoreTS alone (the target of RDPSharp): 13 TCP connections
		// accepted (131, each UDP 131 joined to its TCP one). The channel
		// never writes whether a connection authenticated, so nothing here
		// says they failed: indeterminate, never "did not get in".
		name: "rdpcorets-only", code: 2,
		paths: []string{s("rdp/evtxattack_dfir_rdpsharp_target_RdpCoreTs_168_68_131.evtx")},
		want:  []want{{"windows-rdp", 0, 13, 0}},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "windows-rdp")
			if f.Verdict != "indeterminate" || f.Conditions.Session.Status != report.Unknown || r.Verdict.RemoteControl != "indeterminate" {
				t.Errorf("verdict %s, session %s, host %s", f.Verdict, f.Conditions.Session.Status, r.Verdict.RemoteControl)
			}
			for _, a := range f.Attempts {
				if !a.OutcomeUnlogged || a.RemoteIP != "10.0.2.16" {
					t.Errorf("attempt %s from %s, outcome unlogged %v", fmtTime(a.Start), a.RemoteIP, a.OutcomeUnlogged)
				}
			}
		},
	}, {
		// RdpCoreTS 104 alone: 21 RDP clients sent their time zone (21
		// ActivityIDs), no address, no logon result: indeterminate.
		name: "rdpcorets-104", code: 2,
		paths: []string{s("rdp/evtxattack_DFIR_RDP_Client_TimeZone_RdpCoreTs_104_example.evtx")},
		want:  []want{{"windows-rdp", 0, 21, 0}},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "windows-rdp")
			if f.Verdict != "indeterminate" || f.Attempts[0].Host != "MSEDGEWIN10" || fmtTime(f.Attempts[0].Start) != "2020-07-09T19:47:00.719125Z" {
				t.Errorf("verdict %s, first %s on %s", f.Verdict, fmtTime(f.Attempts[0].Start), f.Attempts[0].Host)
			}
		},
	}, {
		// ScreenConnect client events, one per file (the map author's
		// examples, from one Application log): "USERNAME Connected" 03:25:21,
		// "USER Disconnected" 05:30:16.99 and "Your host has ended the remote
		// session" 05:30:17.39 are one session; "Transferred files …
		// file.exe" at 21:54:32 the evening before is another whose connect
		// and disconnect are not in the samples.
		name: "screenconnect-events", code: 3,
		paths: []string{s("screenconnect")},
		want:  []want{{"screenconnect", 2, 0, 0}},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "screenconnect")
			a, b := f.Incoming[0], f.Incoming[1]
			if fmtTime(a.Start) != "2024-02-26T03:25:21.6791347Z" || fmtTime(a.End) != "2024-02-26T05:30:17.3931449Z" || len(a.Evidence) != 3 || len(a.Transfers) != 0 {
				t.Errorf("session %s–%s, %d evidence, %d transfers", fmtTime(a.Start), fmtTime(a.End), len(a.Evidence), len(a.Transfers))
			}
			if b.Start != nil || b.End != nil || len(b.Transfers) != 1 || b.Transfers[0].Name != "file.exe" || fmtTime(b.Transfers[0].Time) != "2024-02-25T21:54:32.0244362Z" {
				t.Errorf("transfer session %+v", b)
			}
			if !strings.Contains(f.VerdictReason, "active at 2024-02-25T21:54:32Z") {
				t.Errorf("verdict reason %q", f.VerdictReason)
			}
		},
	}, {
		// Splashtop Remote Session events, one per file: 1000 (session
		// 671410472 from aa@aaaa.com, no end), 1001 (session 12345 ended
		// after 00:00:07) and 1100 + 1101 (both about session 456090679,
		// Advanced_IP_Scanner_2.5.3850.exe): three sessions, two transfer
		// events. 1100 and 1101 stop before </Event> (the examples are cut).
		name: "splashtop-events", code: 3,
		paths:   []string{s("splashtop")},
		want:    []want{{"splashtop", 3, 0, 0}},
		partial: []string{"ezmaps_Splashtop-Remote-Session_1100.xml", "ezmaps_Splashtop-Remote-Session_1101.xml"},
		check: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "splashtop")
			got := map[string]session.Record{}
			for _, x := range f.Incoming {
				got[fmtTime(x.Start)+" "+fmtTime(x.End)] = x
			}
			a, okA := got["2021-03-11T21:18:52.6891739Z -"]
			b, okB := got["2001-11-12T21:18:48.4183505Z 2001-11-12T21:18:55.4183505Z"]
			c, okC := got["- -"]
			if !okA || !okB || !okC {
				t.Fatalf("sessions %v", got)
			}
			if a.RemoteID != "aa@aaaa.com" || !a.Open || b.Duration != "7s" || len(c.Evidence) != 2 || len(c.Transfers) != 2 {
				t.Errorf("1000 %q open %v; 1001 %s; 1100+1101 %d evidence %d transfers", a.RemoteID, a.Open, b.Duration, len(c.Evidence), len(c.Transfers))
			}
			for _, x := range c.Transfers {
				if x.Name != "Advanced_IP_Scanner_2.5.3850.exe" || fmtTime(x.Time) != "2022-02-23T01:46:30.123456Z" {
					t.Errorf("transfer %+v", x)
				}
			}
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, code := scan(t, append([]string{"logs", "--tz", "UTC"}, c.paths...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			if r.Scan.Source.Kind != "files" {
				t.Errorf("source kind %s", r.Scan.Source.Kind)
			}
			for _, w := range c.want {
				f := finding(t, r, w.tool)
				if len(f.Incoming) != w.incoming || len(f.Attempts) != w.attempts || len(f.Outgoing) != w.outgoing {
					t.Errorf("%s: incoming %d attempts %d outgoing %d, want %d %d %d", w.tool, len(f.Incoming), len(f.Attempts), len(f.Outgoing), w.incoming, w.attempts, w.outgoing)
				}
			}
			for _, l := range r.Logs {
				if want := map[bool]string{true: "partial", false: "ok"}[slices.Contains(c.partial, filepath.Base(l.Path))]; l.Status != want {
					t.Errorf("log %s: %s %v, want %s", l.Path, l.Status, l.Errors, want)
				}
			}
			if c.check != nil && !t.Failed() {
				c.check(t, r)
			}
		})
	}
}

// TestLogsUnreadableInputs: what is handed over but cannot be read is named
// in the report and keeps the verdict from "not established"; nothing hangs.
func TestLogsUnreadableInputs(t *testing.T) {
	sh := sharedDir(t)
	// Not t.TempDir: its parent is closed to other users, and part of this
	// runs as nobody.
	dir, err := os.MkdirTemp("", "ratwatch-unread-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mk := func(p string) string { p = filepath.Join(dir, p); _ = os.MkdirAll(p, 0o755); return p }
	tv := mk("case/real")
	place(t, filepath.Join(sh, "samples/teamviewer/plaso_connections_incoming.txt"), filepath.Join(tv, "Connections_incoming.txt"))
	locked := mk("case/locked")
	place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk.trace"), filepath.Join(locked, "ad.trace"))
	if err := os.Chmod(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "case", "xrdp.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "case", "x11vnc.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tv, filepath.Join(dir, "case", "link-to-real")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tv, filepath.Join(dir, "given-link")); err != nil {
		t.Fatal(err)
	}
	status := func(r *report.Report) map[string]string {
		m := map[string]string{}
		for _, l := range r.Logs {
			m[strings.TrimPrefix(l.Path, dir+"/")] = l.Status
		}
		return m
	}
	t.Run("missing path", func(t *testing.T) {
		r, code := scan(t, "logs", filepath.Join(dir, "no-such", "ad.trace"))
		if code != 2 || r.Verdict.RemoteControl != report.Indeterminate || !strings.Contains(r.Verdict.Summary, "could not be read") {
			t.Errorf("exit %d, %s: %q", code, r.Verdict.RemoteControl, r.Verdict.Summary)
		}
	})
	t.Run("an empty log", func(t *testing.T) {
		p := filepath.Join(mk("empty"), "xrdp.log")
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r, code := scan(t, "logs", p)
		if code != 2 || len(r.Logs) != 1 || r.Logs[0].Status != "partial" || !strings.HasPrefix(r.Logs[0].Errors[0], "empty file (0 bytes)") {
			t.Errorf("exit %d, logs %+v", code, r.Logs)
		}
	})
	t.Run("links to folders inside are followed, deep folders read", func(t *testing.T) {
		// case2/AnyDesk is a link to other/AnyDesk, which holds the real
		// AnyDesk service trace; deep/ holds it 12 folders down.
		other := mk("other/AnyDesk")
		place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk_var_log.trace"), filepath.Join(other, "anydesk.trace"))
		if err := os.Symlink(other, filepath.Join(mk("case2"), "AnyDesk")); err != nil {
			t.Fatal(err)
		}
		deep := mk("deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12")
		place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk_var_log.trace"), filepath.Join(deep, "anydesk.trace"))
		for _, d := range []string{"case2", "deep"} {
			r, code := scan(t, "logs", filepath.Join(dir, d))
			if code != 3 || len(r.Logs) != 1 || r.Logs[0].Status != "ok" {
				t.Errorf("%s: exit %d, logs %v", d, code, status(r))
			}
		}
	})
	t.Run("a folder given as a link is walked", func(t *testing.T) {
		r, code := scan(t, "logs", filepath.Join(dir, "given-link"))
		if code != 3 || len(finding(t, r, "teamviewer").Incoming) != 1 {
			t.Errorf("exit %d, logs %v", code, status(r))
		}
	})
	t.Run("FIFO, device, locked folder and a link to a folder inside one (as nobody)", func(t *testing.T) {
		r, code := scanAs(t, &syscall.Credential{Uid: 65534, Gid: 65534}, "logs", filepath.Join(dir, "case"))
		st := status(r)
		want := map[string]string{
			"case/real/Connections_incoming.txt": "ok",
			"case/locked":                        "unreadable",
			"case/xrdp.log":                      "unreadable", // a FIFO
			"case/x11vnc.log":                    "unreadable", // a link to /dev/zero
			"case/link-to-real":                  "",           // followed: case/real, read once
		}
		for p, s := range want {
			if st[p] != s {
				t.Errorf("%s: %q, want %q (all: %v)", p, st[p], s, st)
			}
		}
		// The TeamViewer row is a session: established, and the report
		// still lists what it could not read.
		if code != 3 || len(r.Verdict.Incomplete) == 0 {
			t.Errorf("exit %d, incomplete %v", code, r.Verdict.Incomplete)
		}
	})
}

// TestOfflineUnlistableProfile: a profile folder of an image that the
// scanning user cannot list is named in the report (tool-logs partial),
// once, as the image's path; logs elsewhere are still read.
func TestOfflineUnlistableProfile(t *testing.T) {
	sh := sharedDir(t)
	root, err := os.MkdirTemp("", "ratwatch-img-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	carol := filepath.Join(root, "Users/carol/AppData/Roaming/AnyDesk")
	bob := filepath.Join(root, "Users/bob/AppData/Roaming/AnyDesk")
	for _, d := range []string{carol, bob, filepath.Join(root, "Windows/System32")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk.trace"), filepath.Join(carol, "ad.trace"))
	place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk_var_log.trace"), filepath.Join(bob, "ad_svc.trace"))
	if err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			err = os.Chmod(p, map[bool]os.FileMode{true: 0o755, false: 0o644}[d.IsDir()])
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "Users/carol"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, _ := scanAs(t, &syscall.Credential{Uid: 65534, Gid: 65534}, "scan", "--root", root, "--os", "windows")
	var tl *inventory.ScannerStatus
	for i := range r.Scanners {
		if r.Scanners[i].Name == "tool-logs" {
			tl = &r.Scanners[i]
		}
	}
	if tl == nil || tl.Status != inventory.StatusPartial || len(tl.Errors) != 1 || !strings.HasPrefix(tl.Errors[0], "cannot list /Users/carol: permission denied") {
		t.Fatalf("tool-logs %+v", tl)
	}
	read := false
	for _, l := range r.Logs {
		read = read || (strings.HasSuffix(l.Path, "/Users/bob/AppData/Roaming/AnyDesk/ad_svc.trace") && l.Status == "ok")
	}
	if !read || !slices.ContainsFunc(r.Verdict.Incomplete, func(s string) bool { return strings.HasPrefix(s, "tool-logs: partial") }) {
		t.Errorf("bob's trace read %v, incomplete %v", read, r.Verdict.Incomplete)
	}
}

// TestUnlistedProfileNoToolIndeterminate: an image with no tool in what
// nobody may read, and a profile it may not list (or no SYSTEM hive). "No tool found, no sign
// of remote control" (exit 0) would be false comfort: a portable tool and
// its session logs can be in that profile. Indeterminate, exit 2, naming
// the folder.
func TestUnlistedProfileNoToolIndeterminate(t *testing.T) {
	root, err := os.MkdirTemp("", "ratwatch-img-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	for _, d := range []string{"Users/dave/Documents", "Users/erin/Downloads", "Windows/System32/config"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	// Without the SYSTEM hive every Windows has, BAM was not read.
	r, code := scanAs(t, nobody, "scan", "--root", root, "--os", "windows")
	if r.Verdict.RemoteControl != report.Indeterminate || code != 2 || !strings.Contains(r.Verdict.Summary, "no SYSTEM hive in the image") {
		t.Fatalf("no SYSTEM hive: verdict %s exit %d, want indeterminate 2 naming the hive (%s)", r.Verdict.RemoteControl, code, r.Verdict.Summary)
	}
	system := filepath.Join(root, "Windows/System32/config/SYSTEM")
	hivetest.Build(t, system, hivetest.Key{Path: "Select", Values: [][2]string{{"Current", "dword:0x1"}}})
	if err := os.Chmod(system, 0o644); err != nil {
		t.Fatal(err)
	}
	r, code = scanAs(t, nobody, "scan", "--root", root, "--os", "windows")
	if r.Verdict.RemoteControl != report.NotEstablished || code != 0 || len(r.Findings) != 0 {
		t.Fatalf("every profile listed: verdict %s exit %d findings %d, want not_established 0 0 (%s)", r.Verdict.RemoteControl, code, len(r.Findings), r.Verdict.Summary)
	}
	if err := os.Chmod(filepath.Join(root, "Users/erin"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, code = scanAs(t, nobody, "scan", "--root", root, "--os", "windows")
	if r.Verdict.RemoteControl != report.Indeterminate || code != 2 || r.Verdict.Leak != "cannot be excluded" {
		t.Fatalf("erin's profile unlisted: verdict %s leak %q exit %d, want indeterminate, cannot be excluded, 2", r.Verdict.RemoteControl, r.Verdict.Leak, code)
	}
	if !strings.Contains(r.Verdict.Summary, "cannot list /Users/erin: permission denied") || len(r.Findings) != 0 {
		t.Errorf("summary %q (findings %d) does not name /Users/erin", r.Verdict.Summary, len(r.Findings))
	}
}

// TestRunOutsideLogsIndeterminate: a Windows image whose SYSTEM hive
// (BAM) says AnyDesk.exe ran, and whose AnyDesk service trace is the real
// trace's first 218 lines (started 2025-09-21 23:51:13 UTC, last line
// 2025-09-22 00:23:14, before any connection). A run the trace covers:
// not established. A run months before it begins: that run's sessions are
// not in the trace (rotated, cut or restored) → indeterminate.
func TestRunOutsideLogsIndeterminate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "samples/anydesk/artemis_linux_anydesk_var_log.trace"))
	if err != nil {
		t.Fatal(err)
	}
	head := bytes.Join(bytes.SplitAfter(b, []byte("\n"))[:218], nil)
	const sid = "S-1-5-21-1111-2222-3333-1001"
	image := func(ran string) string {
		root := t.TempDir()
		at, err := time.Parse(time.RFC3339, ran)
		if err != nil {
			t.Fatal(err)
		}
		var ft [24]byte // BAM: a FILETIME, then 16 bytes
		binary.LittleEndian.PutUint64(ft[:], uint64(at.Unix()+11644473600)*1e7)
		hexs := make([]string, len(ft))
		for i, c := range ft {
			hexs[i] = fmt.Sprintf("%02x", c)
		}
		cfg := filepath.Join(root, "Windows/System32/config")
		if err := os.MkdirAll(cfg, 0o755); err != nil {
			t.Fatal(err)
		}
		hivetest.Build(t, filepath.Join(cfg, "SYSTEM"),
			hivetest.Key{Path: "Select", Values: [][2]string{{"Current", "dword:0x1"}}},
			hivetest.Key{Path: `ControlSet001\Services\bam\State\UserSettings\` + sid, Values: [][2]string{
				{"Version", "dword:0x1"}, {"SequenceNumber", "dword:0x5"},
				{`\Device\HarddiskVolume3\Users\bob\Downloads\AnyDesk.exe`, "hex:3:" + strings.Join(hexs, ",")},
			}})
		ad := filepath.Join(root, "ProgramData/AnyDesk")
		if err := os.MkdirAll(ad, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ad, "ad_svc.trace"), head, 0o644); err != nil {
			t.Fatal(err)
		}
		return root
	}
	for _, c := range []struct {
		ran, want, words string
		code             int
	}{
		{"2025-09-22T00:10:00Z", report.NotEstablished, "no incoming session", 2},
		{"2025-05-03T10:20:30Z", report.Indeterminate, "AnyDesk.exe ran at 2025-05-03T10:20:30Z, before they begin", 2},
	} {
		r, code := scan(t, "scan", "--root", image(c.ran), "--os", "windows")
		f := finding(t, r, "anydesk")
		if f.State != "executed" || f.Verdict != c.want || r.Verdict.RemoteControl != c.want || code != c.code || !strings.Contains(f.VerdictReason, c.words) {
			t.Errorf("BAM run at %s: state %s verdict %s host %s exit %d: %s", c.ran, f.State, f.Verdict, r.Verdict.RemoteControl, code, f.VerdictReason)
		}
	}
}

// TestOfflineImageZone: the TeamViewer log rotated to _OLD without its
// Start: header (lines 550–1049 of the real TV15 log: the incoming session
// at 06:16:32–06:18:36 local time) next to the real Connections_incoming.txt
// row (14:16:32–14:18:36 UTC). The image's SYSTEM hive says Pacific
// Standard Time: the log's times are read in the image's zone (UTC-8 in
// February), so the two join into the one session — whatever zone the
// analysing machine is in (TZ=Asia/Tokyo here). Without the zone in the
// image, local times are read as UTC and the report says so.
func TestOfflineImageZone(t *testing.T) {
	sh := sharedDir(t)
	b, err := os.ReadFile(filepath.Join(sh, "samples/teamviewer/plaso_TeamViewer15_Logfile.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	rotated := bytes.Join(lines[549:1049], nil)
	image := func(zone bool) string {
		root := t.TempDir()
		tv := filepath.Join(root, "Program Files", "TeamViewer")
		place(t, filepath.Join(sh, "samples/teamviewer/plaso_connections_incoming.txt"), filepath.Join(tv, "Connections_incoming.txt"))
		if err := os.WriteFile(filepath.Join(tv, "TeamViewer15_Logfile_OLD.log"), rotated, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(root, "Windows", "System32", "config")
		if err := os.MkdirAll(cfg, 0o755); err != nil {
			t.Fatal(err)
		}
		keys := []hivetest.Key{{Path: "Select", Values: [][2]string{{"Current", "dword:0x1"}}}}
		if zone {
			keys = append(keys, hivetest.Key{Path: `ControlSet001\Control\TimeZoneInformation`, Values: [][2]string{
				{"TimeZoneKeyName", "string:Pacific Standard Time"}, {"Bias", "dword:0x1e0"}}})
		}
		hivetest.Build(t, filepath.Join(cfg, "SYSTEM"), keys...)
		return root
	}
	run := func(root string) *report.Report {
		cmd := exec.Command(binPath, "scan", "--root", root, "--os", "windows", "-o", "json")
		cmd.Env = append(os.Environ(), "TZ=Asia/Tokyo")
		out, _ := cmd.Output()
		validate(t, out)
		var r report.Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("report: %v", err)
		}
		return &r
	}
	r := run(image(true))
	f := finding(t, r, "teamviewer")
	if r.Scan.Timezone != "America/Los_Angeles" || !strings.Contains(r.Scan.TimezoneFrom, `TimeZoneKeyName "Pacific Standard Time"`) {
		t.Errorf("timezone %q from %q", r.Scan.Timezone, r.Scan.TimezoneFrom)
	}
	if len(f.Incoming) != 1 || f.Incoming[0].Start.Format(time.RFC3339) != "2024-02-16T14:16:32Z" || f.Incoming[0].End.Format(time.RFC3339) != "2024-02-16T14:18:36Z" || len(f.Incoming[0].Evidence) < 2 {
		for _, s := range f.Incoming {
			t.Logf("%v – %v (%s)", s.Start, s.End, s.TimeRule)
		}
		t.Fatalf("%d incoming sessions, want the one joined 14:16:32–14:18:36 UTC", len(f.Incoming))
	}
	r = run(image(false))
	if !strings.Contains(r.Scan.Timezone, "not known") || !strings.Contains(r.Scan.TimezoneFrom, "give --tz") {
		t.Errorf("no zone in the image: timezone %q from %q", r.Scan.Timezone, r.Scan.TimezoneFrom)
	}
	f = finding(t, r, "teamviewer")
	ruled := false
	for _, s := range f.Incoming {
		ruled = ruled || strings.Contains(s.TimeRule, "not known")
	}
	if len(f.Incoming) != 2 || !ruled {
		t.Errorf("no zone: %d sessions (the log's read as UTC, not joined: want 2), a time rule saying the zone is not known: %v", len(f.Incoming), ruled)
	}
}

// TestPartialLogIsNotClean: the real xrdp.log's start-up lines, then a
// stretch of binary garbage where its session lines would be: the log is
// partial (an error with line and offset), and xrdp's condition 3 is
// unknown, not "no session" — the unread part may have held one.
func TestPartialLogIsNotClean(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "samples/linux-vnc-rdp/var_log_xrdp.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	// Up to "xrdp_listen_pp done", before any connection, 12 times (xrdp
	// restarted): 84 lines of text, so the file reads as a text log.
	head := bytes.Repeat(bytes.Join(lines[:7], nil), 12)
	garbage := make([]byte, 2048)
	for i := range garbage {
		garbage[i] = byte(i*131 + 7) // every byte value: control bytes too
		if i%97 == 96 {
			garbage[i] = '\n'
		}
	}
	root := t.TempDir()
	p := filepath.Join(root, "var/log/xrdp.log")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(head, garbage...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, code := scan(t, "scan", "--root", root, "--os", "linux", "--tz", "UTC")
	f := finding(t, r, "xrdp")
	var lf *inventory.LogFile
	for i := range r.Logs {
		if strings.HasSuffix(r.Logs[i].Path, "/var/log/xrdp.log") {
			lf = &r.Logs[i]
		}
	}
	if lf == nil || lf.Status != inventory.StatusPartial || len(lf.Errors) == 0 || !strings.Contains(lf.Errors[0], "line 85") {
		t.Fatalf("log %+v", lf)
	}
	if f.Conditions.Session.Status != report.Unknown || f.Verdict != report.Indeterminate || code != 2 ||
		!strings.Contains(f.Conditions.Session.Reason, "read only in part") {
		t.Errorf("exit %d, %s, session %s: %s", code, f.Verdict, f.Conditions.Session.Status, f.Conditions.Session.Reason)
	}
}

// TestRotatedCompressedLogs: logrotate's xrdp.log.2.gz and
// xrdp-sesman.log.1 in an image are read (the real logs: two logins that
// got a session, a connection that never logged in, a wrong password), and
// the evidence's line numbers are those of the decompressed text.
func TestRotatedCompressedLogs(t *testing.T) {
	sh := sharedDir(t)
	xrdp, err := os.ReadFile(filepath.Join(sh, "samples/linux-vnc-rdp/var_log_xrdp.log"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	logs := filepath.Join(root, "var/log")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(xrdp)
	zw.Close()
	if err := os.WriteFile(filepath.Join(logs, "xrdp.log.2.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	place(t, filepath.Join(sh, "samples/linux-vnc-rdp/var_log_xrdp-sesman.log"), filepath.Join(logs, "xrdp-sesman.log.1"))
	r, code := scan(t, "scan", "--root", root, "--os", "linux", "--tz", "UTC")
	f := finding(t, r, "xrdp")
	if code != 3 || len(f.Incoming) != 2 || len(f.Attempts) != 2 {
		t.Fatalf("exit %d, %d sessions, %d attempts", code, len(f.Incoming), len(f.Attempts))
	}
	lines := strings.Split(string(xrdp), "\n")
	checked := 0
	for _, l := range r.Logs {
		if strings.HasSuffix(l.Path, "xrdp.log.2.gz") && (l.Compressed != "gzip" || l.Status != "ok" || l.Size != int64(gz.Len())) {
			t.Errorf("log %+v", l)
		}
	}
	for _, s := range f.Incoming {
		for _, e := range s.Evidence {
			if strings.HasSuffix(e.Path, "xrdp.log.2.gz") {
				if e.Line < 1 || e.Line > len(lines) || !strings.HasPrefix(lines[e.Line-1], strings.TrimSuffix(e.Raw, "…")[:20]) {
					t.Errorf("line %d %q, text there %q", e.Line, e.Raw, lines[max(e.Line-1, 0)])
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Error("no evidence from the compressed log")
	}
}

// TestVNCEmptiedLogIsNotClean: x11vnc runs (its start-up lines were
// written), then its log is emptied: the scan cannot say "no session" — the
// log of a tool that ran is never empty unless wiped or rotated.
func TestVNCEmptiedLogIsNotClean(t *testing.T) {
	srv := x11vncLab(t, lab.VNCOpts{})
	// X11VNC returns once the server listens: its start-up lines are there.
	if st, err := os.Stat(srv.LogPath); err != nil || st.Size() == 0 {
		t.Fatalf("log before: %v", err)
	}
	// x11vnc may still write a line after start-up (under load): truncate
	// and scan again until the scan saw the log empty (at most 5 tries).
	var r *report.Report
	var code int
	for try := 0; try < 5; try++ {
		if err := os.Truncate(srv.LogPath, 0); err != nil {
			t.Fatal(err)
		}
		r, code = scan(t, "scan")
		if slices.ContainsFunc(r.Logs, func(l inventory.LogFile) bool { return l.Path == srv.LogPath && l.Size == 0 }) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	f := finding(t, r, "x11vnc")
	if f.Conditions.Session.Status != report.Unknown || !strings.Contains(f.Conditions.Session.Reason, "its log is empty ("+srv.LogPath) || code != 2 {
		t.Errorf("exit %d, session %s: %s", code, f.Conditions.Session.Status, f.Conditions.Session.Reason)
	}
}

// TestVNCTwoClientsOneLeaves: two viewers from 127.0.0.1 on a shared x11vnc;
// the second leaves. x11vnc's "Client 127.0.0.1 gone" names no port, so the
// log alone cannot say which left; the socket table can: the first viewer's
// session is active, the second's has ended.
func TestVNCTwoClientsOneLeaves(t *testing.T) {
	srv := x11vncLab(t, lab.VNCOpts{})
	// Viewers that only ask for screen updates: both are past the
	// handshake, with nothing in the log to tell them apart.
	view := func() *rfb.Client {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := rfb.Dial(ctx, srv.Addr(), rfb.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.FramebufferUpdateRequest(false, 0, 0, 10, 10); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := view()
	srv.WaitLog(t, "client_set_net", 5*time.Second)
	c2 := view()
	p1, p2 := clientPort(c1), clientPort(c2)
	lab.WaitEstablished(t, p1, srv.Port)
	srv.WaitLog(t, fmt.Sprintf("127.0.0.1:%d", p2), 5*time.Second)
	c2.Close()
	srv.WaitLog(t, "Client 127.0.0.1 gone", 5*time.Second)

	r, _ := scan(t, "scan")
	f := finding(t, r, "x11vnc")
	s1, s2 := sessionFrom(f.Incoming, p1), sessionFrom(f.Incoming, p2)
	if s1 == nil || s2 == nil {
		t.Fatalf("sessions %d and %d not both found", p1, p2)
	}
	if !s1.Open || s1.End != nil || !slices.ContainsFunc(s1.Notes, func(n string) bool { return strings.HasPrefix(n, "active:") }) {
		t.Errorf("first viewer (%d, connected): open %v end %v notes %q", p1, s1.Open, s1.End, s1.Notes)
	}
	if s2.Open || s2.End == nil {
		t.Errorf("second viewer (%d, gone): open %v end %v notes %q", p2, s2.Open, s2.End, s2.Notes)
	}
	if f.State != "session-active" || r.Verdict.ActiveSessions != 1 {
		t.Errorf("state %s, %d active", f.State, r.Verdict.ActiveSessions)
	}
}

// TestFileNeverOverwritesEvidence: --file pointing at what the scan reads —
// a log handed over, a hard link to it, a new file inside a folder handed
// over, a capture, a file inside --root — is refused (exit 1, a message
// naming why) and the evidence is byte for byte as it was. Elsewhere the
// report is written.
func TestFileNeverOverwritesEvidence(t *testing.T) {
	sh := sharedDir(t)
	dir := t.TempDir()
	trace := filepath.Join(dir, "case", "ad.trace")
	place(t, filepath.Join(sh, "samples/anydesk/artemis_linux_anydesk.trace"), trace)
	capture := filepath.Join(dir, "cap.pcap")
	place(t, filepath.Join(sh, "pcaps/ndpi/vnc.pcap"), capture)
	img := filepath.Join(dir, "img")
	imgLog := filepath.Join(img, "var/log/xrdp.log")
	place(t, filepath.Join(sh, "samples/linux-vnc-rdp/var_log_xrdp.log"), imgLog)
	link := filepath.Join(dir, "link.trace")
	if err := os.Link(trace, link); err != nil {
		t.Fatal(err)
	}
	sum := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", sha256.Sum256(b))
	}
	before := map[string]string{trace: sum(trace), capture: sum(capture), imgLog: sum(imgLog)}
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"logs", trace, "--file", trace}, "was handed over"},
		{[]string{"logs", trace, "-o", "ndjson", "--file", link}, "was handed over"},
		{[]string{"logs", filepath.Join(dir, "case"), "--file", filepath.Join(dir, "case", "report.json")}, "was handed over"},
		{[]string{"pcap", capture, "--file", capture}, "was handed over"},
		{[]string{"scan", "--root", img, "--os", "linux", "-o", "table", "--file", imgLog}, "inside the image"},
	} {
		cmd := exec.Command(binPath, c.args...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "refusing to write the report over evidence") || !strings.Contains(string(out), c.why) {
			t.Errorf("%v: exit %v: %s", c.args, err, out)
		}
	}
	for p, s := range before {
		if sum(p) != s {
			t.Errorf("%s was changed", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "case", "report.json")); err == nil {
		t.Errorf("a report was written into the folder handed over")
	}
	ok := filepath.Join(dir, "report.json")
	cmd := exec.Command(binPath, "logs", trace, "--file", ok)
	if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "report written to") {
		t.Fatalf("--file elsewhere: %v %s", err, out)
	}
	var r report.Report
	b, _ := os.ReadFile(ok)
	if err := json.Unmarshal(b, &r); err != nil || len(r.Findings) != 1 {
		t.Errorf("the report written elsewhere: %v, %d findings", err, len(r.Findings))
	}
}

// TestForkLogBelongsToFork: HopToDesk writes RustDesk's log format (read by
// the rustdesk parser) under %AppData%\HopToDesk\log. The session in it is
// HopToDesk's — the signature whose log it is — not RustDesk's. The lines
// are RustDesk's documented lines (session-artifacts.md; the rustdesk
// parser's test): one incoming session from 203.0.113.7 accepted with the
// permanent password, 10:43:00–10:55:00 at -04:00.
func TestForkLogBelongsToFork(t *testing.T) {
	root := t.TempDir()
	log := filepath.Join(root, "Users/alice/AppData/Roaming/HopToDesk/log/HopToDesk_rCURRENT.log")
	lines := "[2024-08-09 10:42:58.920092 -04:00] INFO [src/core_main.rs:164] main start args:[\"--server\"]\r\n" +
		"[2024-08-09 10:43:00.000100 -04:00] DEBUG [src\\server\\connection.rs:983] #1362 Connection opened from 203.0.113.7:6074.\r\n" +
		"[2024-08-09 10:43:05.500000 -04:00] INFO [src\\server\\connection.rs:1500] #1362 Permanent password accepted via logon-screen fallback\r\n" +
		"[2024-08-09 10:55:00.000000 -04:00] INFO [src\\server\\connection.rs:1100] #1362 Connection closed: Peer close\r\n"
	if err := os.MkdirAll(filepath.Dir(log), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	r, code := scan(t, "scan", "--root", root, "--os", "windows")
	if len(r.Findings) != 1 || r.Findings[0].Tool.ID != "hoptodesk" || code != 3 {
		for _, f := range r.Findings {
			t.Logf("%s %s %d incoming", f.Tool.ID, f.Verdict, len(f.Incoming))
		}
		t.Fatalf("findings %d, exit %d: want HopToDesk alone, established", len(r.Findings), code)
	}
	s := r.Findings[0].Incoming
	if len(s) != 1 || s[0].Tool != "hoptodesk" || s[0].RemoteIP != "203.0.113.7" || s[0].Start.Format(time.RFC3339) != "2024-08-09T14:43:00Z" {
		t.Errorf("sessions %+v", s)
	}
}

// TestPlainSyslogIsNoTool: /var/log/syslog is every program's log (read
// for Chrome Remote Desktop's host lines); lines of other programs make no
// tool: a Linux image with only that is "no tool", exit 0.
func TestPlainSyslogIsNoTool(t *testing.T) {
	root := t.TempDir()
	syslog := filepath.Join(root, "var/log/syslog")
	if err := os.MkdirAll(filepath.Dir(syslog), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := "Nov 21 10:00:01 pc1 CRON[1234]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)\n" +
		"Nov 21 10:00:02 pc1 systemd[1]: Started Daily apt download activities.\n"
	if err := os.WriteFile(syslog, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	r, code := scan(t, "scan", "--root", root, "--os", "linux")
	if len(r.Findings) != 0 || code != 0 {
		for _, f := range r.Findings {
			t.Logf("%s %s", f.Tool.ID, f.State)
		}
		t.Errorf("%d findings, exit %d: want none, 0", len(r.Findings), code)
	}
}

// TestLogsNamePatternNeedsContent: handed a folder, a file whose name only
// fits a name pattern of a tool's logs (*.trace) is that tool's log only if
// its content looks like it: another program's debug.trace is not AnyDesk;
// the real AnyDesk trace under another .trace name still is (1 incoming
// session from 1001025310, artemis sample).
func TestLogsNamePatternNeedsContent(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "AppData/Local/SomeApp/debug.trace")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("2026-11-20 10:00:00 init renderer\n2026-11-20 10:00:01 frame 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, code := scan(t, "logs", dir)
	if len(r.Findings) != 0 || code != 0 {
		t.Errorf("another program's debug.trace: %d findings, exit %d", len(r.Findings), code)
	}
	place(t, filepath.Join(sharedDir(t), "samples/anydesk/artemis_linux_anydesk_var_log.trace"), filepath.Join(dir, "AppData/Roaming/AnyDesk/service.trace"))
	r, code = scan(t, "logs", dir)
	f := finding(t, r, "anydesk")
	if len(r.Findings) != 1 || code != 3 || len(f.Incoming) != 1 || f.Incoming[0].RemoteID != "1001025310" {
		t.Errorf("the AnyDesk trace as service.trace: %d findings, exit %d, %d incoming", len(r.Findings), code, len(f.Incoming))
	}
}

// TestUnparsedLogIsIndeterminate: LogMeIn's host log, which ratwatch has no
// parser for, in a Windows image next to the installed LogMeIn. Its lines
// (made up in the layout session-artifacts.md §6 documents: "YYYY-MM-DD
// HH:MM:SS.mmm", a file transfer) are not read, but a non-empty log shows
// LogMeIn ran, and a session in it cannot be excluded: indeterminate, with
// the log hashed and dated. An empty one was wiped or just rotated (rule 9).
func TestUnparsedLogIsIndeterminate(t *testing.T) {
	written := time.Date(2026, 11, 20, 9, 41, 7, 0, time.UTC)
	image := func(body string) string {
		root := t.TempDir()
		for _, d := range []string{"Program Files (x86)/LogMeIn/x64", "ProgramData/LogMeIn", "Windows/System32"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		log := filepath.Join(root, "ProgramData/LogMeIn/LogMeIn.log")
		if err := os.WriteFile(log, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(log, written, written); err != nil {
			t.Fatal(err)
		}
		return root
	}
	body := "2026-11-20 09:12:44.118 Remote control session started\r\n2026-11-20 09:40:59.902 File transfer: invoice.pdf\r\n"
	sum := sha256.Sum256([]byte(body))
	r, code := scan(t, "scan", "--root", image(body), "--os", "windows")
	f := finding(t, r, "logmein")
	c := f.Conditions.Session
	if f.State != "executed" || f.Verdict != report.Indeterminate || c.Status != report.Unknown || code != 2 || r.Verdict.RemoteControl != report.Indeterminate {
		t.Fatalf("state %s verdict %s session %s host %s exit %d: %s", f.State, f.Verdict, c.Status, r.Verdict.RemoteControl, code, c.Reason)
	}
	for _, w := range []string{"LogMeIn.log, 108 bytes, last written 2026-11-20T09:41:07Z", "no parser", "cannot be excluded"} {
		if !strings.Contains(c.Reason, w) {
			t.Errorf("reason %q lacks %q", c.Reason, w)
		}
	}
	var lf *inventory.LogFile
	for i := range r.Logs {
		if filepath.Base(r.Logs[i].Path) == "LogMeIn.log" {
			lf = &r.Logs[i]
		}
	}
	if lf == nil || lf.Status != "unparsed" || lf.Tool != "logmein" || lf.Size != 108 || lf.SHA256 != hex.EncodeToString(sum[:]) || lf.Modified == nil || !lf.Modified.Equal(written) {
		t.Errorf("logs[] entry %+v", lf)
	}
	var dated bool
	for _, e := range f.Timeline {
		dated = dated || e.Event == "log-written" && e.Time.Equal(written) && strings.HasSuffix(e.Source, "LogMeIn.log")
	}
	if !dated {
		t.Errorf("no log-written event at %v in %+v", written, f.Timeline)
	}

	// Emptied, it was wiped or just rotated, as a log that is read (rule 9).
	r, _ = scan(t, "scan", "--root", image(""), "--os", "windows")
	f = finding(t, r, "logmein")
	if f.Verdict != report.Indeterminate || !strings.Contains(f.Conditions.Session.Reason, "its log is empty, and the tool writes it itself when it runs") {
		t.Errorf("empty LogMeIn.log: state %s verdict %s: %s", f.State, f.Verdict, f.Conditions.Session.Reason)
	}
}

// TestLogsUnparsedInCollection: a triage collection (KAPE keeps the disk's
// folders: C\ProgramData\LogMeIn\LogMeIn.log) handed to `ratwatch logs`:
// LogMeIn's log is recognised by its path, hashed and not parsed, and the
// session question is open (exit 2). Another program's log.txt, or a
// LogMeIn.log outside LogMeIn's folder, is nobody's.
func TestLogsUnparsedInCollection(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("C/Users/bob/AppData/Local/SomeApp/log.txt", "2026-11-20 10:00:00 started\n")
	write("C/Users/bob/Desktop/LogMeIn.log", "2026-11-20 10:00:00 notes\n")
	r, code := scan(t, "logs", dir)
	if len(r.Findings) != 0 || code != 0 {
		t.Fatalf("no LogMeIn log in the collection: %d findings, exit %d", len(r.Findings), code)
	}
	write("C/ProgramData/LogMeIn/LogMeIn.log", "2026-11-20 09:12:44.118 Remote control session started\r\n")
	r, code = scan(t, "logs", dir)
	f := finding(t, r, "logmein")
	if len(r.Findings) != 1 || code != 2 || f.Verdict != report.Indeterminate || !strings.Contains(f.Conditions.Session.Reason, filepath.Join("C", "ProgramData", "LogMeIn", "LogMeIn.log")+", 56 bytes") {
		t.Errorf("%d findings, exit %d, logmein %s: %s", len(r.Findings), code, f.Verdict, f.Conditions.Session.Reason)
	}
}

// TestOSComponentOnlyImage (rule 12): a Windows image whose only remote
// tool is the Remote Desktop service every Windows has (TermService in its
// SYSTEM hive, as Windows 10/11 ship it), with its LocalSessionManager log
// holding only a console logon (EvtxECmd's map example of event 21,
// Address LOCAL): listed, not counted, exit 0. With AnyDesk's service next to
// it, AnyDesk is the tool found (exit 2). Without any of RDP's event logs,
// a session cannot be excluded: counted, indeterminate (exit 2).
func TestOSComponentOnlyImage(t *testing.T) {
	image := func(anydesk, evtx bool) string {
		root := t.TempDir()
		cfg := filepath.Join(root, "Windows/System32/config")
		if err := os.MkdirAll(cfg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, "Users/bob"), 0o755); err != nil {
			t.Fatal(err)
		}
		if evtx {
			place(t, filepath.Join(sharedDir(t), "samples/rdp/ezmaps_LocalSessionManager_21.xml"),
				filepath.Join(root, "Windows/System32/winevt/Logs/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx"))
		}
		keys := []hivetest.Key{
			{Path: "Select", Values: [][2]string{{"Current", "dword:0x1"}}},
			{Path: `ControlSet001\Services\TermService`, Values: [][2]string{{"DisplayName", "string:Remote Desktop Services"},
				{"ImagePath", `expandstring:%SystemRoot%\System32\svchost.exe -k NetworkService`}, {"Start", "dword:0x3"}, {"Type", "dword:0x20"}}},
		}
		if anydesk {
			keys = append(keys, hivetest.Key{Path: `ControlSet001\Services\AnyDesk`, Values: [][2]string{{"DisplayName", "string:AnyDesk Service"},
				{"ImagePath", `string:"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --service`}, {"Start", "dword:0x2"}, {"Type", "dword:0x10"}}})
		}
		hivetest.Build(t, filepath.Join(cfg, "SYSTEM"), keys...)
		return root
	}
	r, code := scan(t, "scan", "--root", image(false, true), "--os", "windows")
	f := finding(t, r, "windows-rdp")
	if !f.OSComponentOnly || f.State != "installed" || code != 0 || r.Verdict.Level != "none" || len(r.Verdict.Tools) != 0 ||
		r.Verdict.RemoteControl != report.NotEstablished || !strings.Contains(f.VerdictReason, "part of the operating system") {
		t.Errorf("TermService only: os_component_only %v state %s exit %d level %s tools %v %s: %s", f.OSComponentOnly, f.State, code, r.Verdict.Level, r.Verdict.Tools, r.Verdict.RemoteControl, f.VerdictReason)
	}
	r, code = scan(t, "scan", "--root", image(true, true), "--os", "windows")
	if code != 2 || !slices.Equal(r.Verdict.Tools, []string{"anydesk"}) || !finding(t, r, "windows-rdp").OSComponentOnly {
		t.Errorf("with AnyDesk's service: exit %d tools %v", code, r.Verdict.Tools)
	}
	r, code = scan(t, "scan", "--root", image(false, false), "--os", "windows")
	f = finding(t, r, "windows-rdp")
	if f.OSComponentOnly || f.Verdict != report.Indeterminate || code != 2 || !strings.Contains(f.VerdictReason, "none of the event logs that record its sessions was found") {
		t.Errorf("no RDP event log: os_component_only %v verdict %s exit %d: %s", f.OSComponentOnly, f.Verdict, code, f.VerdictReason)
	}
}

// clearedXML is record 505853 of velociraptor_RDPAuth_Security.evtx — the
// Security log's 1102 ("the audit log was cleared", its first record) —
// written out as Event Viewer exports it, with no other record after it.
const clearedXML = `<?xml version="1.0" encoding="utf-8"?>
<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Eventlog" Guid="{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}"/><EventID>1102</EventID><Version>0</Version><Level>4</Level><Task>104</Task><Opcode>0</Opcode><Keywords>0x4020000000000000</Keywords><TimeCreated SystemTime="2021-02-12T12:32:35.1476848Z"/><EventRecordID>505853</EventRecordID><Correlation/><Execution ProcessID="292" ThreadID="1172"/><Channel>Security</Channel><Computer>dc.windomain.local</Computer><Security/></System><UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserSid>S-1-5-21-3648566514-1342408385-4134854909-1000</SubjectUserSid><SubjectUserName>vagrant</SubjectUserName><SubjectDomainName>WINDOMAIN</SubjectDomainName><SubjectLogonId>0x1febb0</SubjectLogonId></LogFileCleared></UserData></Event></Events>
`

// TestClearedSecurityLog (rule 13): a Windows image whose Security log was
// cleared. With the real log (cleared at 12:32:35, the RDP logon at
// 12:34:28 after it) the session stands and the clear is on the timeline;
// with nothing after the clear, RDP's session question is unknown (exit 2),
// not "part of the operating system". The cleared log handed over alone
// leaves the host verdict indeterminate.
func TestClearedSecurityLog(t *testing.T) {
	const when = "the Security log of dc.windomain.local was cleared at 2021-02-12T12:32:35Z by WINDOMAIN\\vagrant (record 505853 of "
	image := func(security func(dst string)) string {
		root := t.TempDir()
		cfg := filepath.Join(root, "Windows/System32/config")
		if err := os.MkdirAll(cfg, 0o755); err != nil {
			t.Fatal(err)
		}
		logs := filepath.Join(root, "Windows/System32/winevt/Logs")
		place(t, filepath.Join(sharedDir(t), "samples/rdp/ezmaps_LocalSessionManager_21.xml"),
			filepath.Join(logs, "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx"))
		security(filepath.Join(logs, "Security.evtx"))
		hivetest.Build(t, filepath.Join(cfg, "SYSTEM"),
			hivetest.Key{Path: "Select", Values: [][2]string{{"Current", "dword:0x1"}}},
			hivetest.Key{Path: `ControlSet001\Services\TermService`, Values: [][2]string{{"DisplayName", "string:Remote Desktop Services"},
				{"ImagePath", `expandstring:%SystemRoot%\System32\svchost.exe -k NetworkService`}, {"Start", "dword:0x3"}, {"Type", "dword:0x20"}}})
		return root
	}
	real := func(dst string) {
		place(t, filepath.Join(sharedDir(t), "samples/rdp/velociraptor_RDPAuth_Security.evtx"), dst)
	}
	r, code := scan(t, "scan", "--root", image(real), "--os", "windows")
	f := finding(t, r, "windows-rdp")
	if f.Verdict != report.Established || code != 3 || len(f.Incoming) != 1 {
		t.Fatalf("real Security log: verdict %s exit %d, %d incoming: %s", f.Verdict, code, len(f.Incoming), f.VerdictReason)
	}
	var cleared []session.Clear
	for _, l := range r.Logs {
		if filepath.Base(l.Path) == "Security.evtx" {
			cleared = append(cleared, l.Cleared...)
		}
	}
	if len(cleared) != 1 || cleared[0].Evidence.RecordID != 505853 || cleared[0].Evidence.SHA256 == "" || cleared[0].User != `WINDOMAIN\vagrant` {
		t.Errorf("logs[].cleared %+v", cleared)
	}
	var onTimeline bool
	for _, e := range f.Timeline {
		if e.Event == "log-cleared" && e.Time.Format(time.RFC3339Nano) == "2021-02-12T12:32:35.1476848Z" && filepath.Base(e.Source) == "Security.evtx" {
			onTimeline = true
		}
	}
	if !onTimeline {
		t.Errorf("no log-cleared event in %+v", f.Timeline)
	}
	if !strings.Contains(strings.Join(r.Verdict.Reasons, "\n"), when) {
		t.Errorf("the host's reasons do not say the log was cleared: %q", r.Verdict.Reasons)
	}

	onlyClear := func(dst string) {
		if err := os.WriteFile(dst, []byte(clearedXML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, code = scan(t, "scan", "--root", image(onlyClear), "--os", "windows")
	f = finding(t, r, "windows-rdp")
	if f.Verdict != report.Indeterminate || f.OSComponentOnly || code != 2 || !strings.Contains(f.Conditions.Session.Reason, when) ||
		len(f.Conditions.Session.Evidence) != 1 || f.Conditions.Session.Evidence[0].RecordID != 505853 {
		t.Errorf("cleared, nothing after: verdict %s os_component_only %v exit %d: %s", f.Verdict, f.OSComponentOnly, code, f.Conditions.Session.Reason)
	}

	p := filepath.Join(t.TempDir(), "Security.xml")
	onlyClear(p)
	r, code = scan(t, "logs", p)
	if code != 2 || r.Verdict.RemoteControl != report.Indeterminate || !strings.Contains(r.Verdict.Summary, when+p+")") {
		t.Errorf("logs on the cleared log alone: exit %d %s: %s", code, r.Verdict.RemoteControl, r.Verdict.Summary)
	}
}
