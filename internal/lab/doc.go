// Package lab starts real remote-access servers and clients (Xvfb, x11vnc,
// Xtigervnc, xrdp + xrdp-sesman, freerdp-shadow-cli, xfreerdp, tcpdump) on
// 127.0.0.1 for tests, and stops them again. It is for tests only.
//
// Rules it follows, because other engineers and other test binaries run the
// same server binaries on the same machine at the same time:
//   - every process is started with exec.Cmd in the foreground (no -bg or
//     daemon modes), in a new process group (Setpgid), with Pdeathsig
//     SIGKILL, and its pid is kept;
//   - it is stopped by process group in t.Cleanup: SIGTERM, then SIGKILL
//     after StopGrace; nothing is ever killed by name;
//   - ports are random free loopback ports, X displays random free numbers
//     in [200, 900); a server that loses the race for either is restarted on
//     another one;
//   - every wait loop has a deadline and fails with a clear message that
//     quotes the end of the relevant log.
//
// Typical use:
//
//	lab.Require(t, "Xvfb", "x11vnc")
//	disp := lab.Xvfb(t)
//	srv := lab.X11VNC(t, disp, lab.VNCOpts{Password: "pw"})
//	c, err := rfb.Dial(ctx, srv.Addr(), rfb.Config{Password: "pw"})
//	pair := lab.WaitEstablished(t, c.LocalAddr().(*net.TCPAddr).Port, srv.Port)
//	// pair.ServerPID() == srv.PID, pair.ClientPID() == os.Getpid()
//	srv.WaitLog(t, "Got connection from client", 5*time.Second)
//
//	rdp := lab.XRDP(t) // root; throwaway user rdp.User / rdp.Password
//	cl := lab.XFreeRDP(t, lab.Xvfb(t), "127.0.0.1", rdp.Port, rdp.User, rdp.Password)
//	lab.WaitEstablished(t, 0, rdp.Port) // ClientPID() == cl.PID
//	rdp.WaitLog(t, "login successful for user "+rdp.User, 15*time.Second)
//
// Machine-wide coordination between test binaries (go test ./... runs
// packages in parallel):
//   - XRDP instances run one at a time (xrdp always reaches sesman on the
//     port in /etc/xrdp/sesman.ini), through /tmp/ratwatch-lab-xrdp.lock;
//   - HostLock(t) gives a test the machine to itself: no lab process of any
//     other test binary runs while it holds it (for tests that scan the
//     whole host).
//
// If the test binary is killed hard, its direct children die with it
// (Pdeathsig); forks of xrdp and xrdp-sesman and the session of the
// throwaway user can survive and are removed by the next XRDP call.
package lab
