package eventlog

import (
	"strconv"
	"strings"
)

// src is the log an event belongs to, by provider (channel as fallback, so
// events forwarded to ForwardedEvents are still recognised).
type src int

const (
	srcNone src = iota
	srcSecurity
	srcRCM     // TerminalServices-RemoteConnectionManager
	srcLSM     // TerminalServices-LocalSessionManager
	srcRdpCore // RemoteDesktopServices-RdpCoreTS
	srcScreenConnect
	srcSplashtop
	srcCRD
	srcLogMeIn
	srcEventlog // the event log service itself: a log was cleared
)

const (
	provSecurity  = "microsoft-windows-security-auditing"
	provRCM       = "microsoft-windows-terminalservices-remoteconnectionmanager"
	provLSM       = "microsoft-windows-terminalservices-localsessionmanager"
	provRdpCore   = "microsoft-windows-remotedesktopservices-rdpcorets"
	provSplashtop = "splashtop-splashtop streamer-remote session"
	chanSplashtop = "splashtop-splashtop streamer-remote session/operational"
	provEventlog  = "microsoft-windows-eventlog"
)

func sourceOf(e *event) src {
	pv := strings.ToLower(strings.TrimSpace(e.Provider))
	ch := strings.ToLower(strings.TrimSpace(e.Channel))
	switch {
	case pv == provSecurity || (pv == "" && ch == "security"):
		return srcSecurity
	case pv == provRCM || (pv == "" && ch == provRCM+"/operational"):
		return srcRCM
	case pv == provLSM || (pv == "" && ch == provLSM+"/operational"):
		return srcLSM
	case pv == provRdpCore || (pv == "" && ch == provRdpCore+"/operational"):
		return srcRdpCore
	case pv == provSplashtop || ch == chanSplashtop:
		return srcSplashtop
	case strings.HasPrefix(pv, "screenconnect"):
		// "ScreenConnect" (23.x) or "ScreenConnect Client (<thumbprint>)".
		return srcScreenConnect
	case pv == "chromoting":
		return srcCRD
	case pv == "logmein":
		return srcLogMeIn
	case pv == provEventlog:
		return srcEventlog
	}
	return srcNone
}

func ids(v ...uint32) map[uint32]bool {
	m := make(map[uint32]bool, len(v))
	for _, x := range v {
		m[x] = true
	}
	return m
}

// relevantIDs lists the event IDs worth decoding per log. ScreenConnect
// builds that log everything under IDs 0/1 are matched on their text.
var relevantIDs = map[src]map[uint32]bool{
	srcSecurity:      ids(4624, 4625, 4634, 4647, 4778, 4779),
	srcRCM:           ids(1149, 261),
	srcLSM:           ids(21, 22, 23, 24, 25),
	srcRdpCore:       ids(131, 104),
	srcScreenConnect: ids(0, 1, 30, 100, 101, 200, 201),
	srcSplashtop:     ids(1000, 1001, 1100, 1101),
	srcCRD:           ids(1, 2, 3, 4),
	srcLogMeIn:       ids(102, 202, 205),
	// 1102: the Security log was cleared (written into it as its first
	// record); 104: another log was cleared (written to System).
	srcEventlog: ids(1102, 104),
}

// anyRelevantID is the union of relevantIDs: most records are dropped on
// their ID before provider and channel are even looked at.
var anyRelevantID = func() map[uint32]bool {
	m := map[uint32]bool{}
	for _, ids := range relevantIDs {
		for id := range ids {
			m[id] = true
		}
	}
	return m
}()

// action is what an event means for the session joiner.
type action int

const (
	aNone action = iota
	aRDPLogon
	aRDPFailed
	aRDPReconnect
	aRDPDisconnect
	aRDPLogoff
	aRCMAuth
	aRCMListener
	aLSMLogon
	aLSMDisconnect
	aLSMLogoff
	aRDPTransport
	aRDPClientZone
	aSCConnect
	aSCDisconnect
	aSCCommand
	aSCTransfer
	aSCEnded
	aSTStart
	aSTEnd
	aSTTransfer
	aCRDConnect
	aCRDDisconnect
	aCRDDenied
	aCRDRoute
	aLMILogon
	aLMIStart
	aLMIEnd
	aLogCleared
)

// remoteAddr reports whether s is an IP address that is not loopback or
// unspecified (console / local logons write "-", "127.0.0.1" or "::1").
func remoteAddr(s string) bool {
	ip, _, ok := parseAddr(s)
	return ok && !isLoopback(ip)
}

func isAddr(s string) bool {
	_, _, ok := parseAddr(s)
	return ok
}

func logonType(e *event) int {
	n, err := strconv.Atoi(strings.TrimSpace(e.get("LogonType")))
	if err != nil {
		return -1
	}
	return n
}

// classify decides what a decoded event means (aNone: not part of a session).
func classify(e *event) action {
	s := sourceOf(e)
	if !relevantIDs[s][e.ID] {
		return aNone
	}
	switch s {
	case srcSecurity:
		lt := logonType(e)
		switch e.ID {
		case 4624:
			// 10 RemoteInteractive, 12 CachedRemoteInteractive; 7 (unlock /
			// reconnect) only when it came from a remote address.
			if lt == 10 || lt == 12 || (lt == 7 && remoteAddr(e.get("IpAddress"))) {
				return aRDPLogon
			}
		case 4625:
			// With NLA (the default) a wrong RDP password is logged as type
			// 3, like any SMB/network failure: only 10/12/7-remote are
			// counted as failed RDP logons.
			if lt == 10 || lt == 12 || (lt == 7 && remoteAddr(e.get("IpAddress"))) {
				return aRDPFailed
			}
		case 4778:
			if isAddr(e.get("ClientAddress")) {
				return aRDPReconnect
			}
		case 4779:
			if isAddr(e.get("ClientAddress")) {
				return aRDPDisconnect
			}
		case 4634:
			// Interactive kinds only: a console logon (2) can be taken over
			// by an RDP reconnect (4778) and end with its 4634.
			switch lt {
			case 2, 7, 10, 11, 12:
				return aRDPLogoff
			}
		case 4647:
			return aRDPLogoff
		}
	case srcRCM:
		if e.ID == 1149 {
			return aRCMAuth
		}
		return aRCMListener
	case srcLSM:
		switch e.ID {
		case 21, 22, 25:
			if isAddr(e.get("Address")) {
				return aLSMLogon
			}
		case 24:
			if isAddr(e.get("Address")) {
				return aLSMDisconnect
			}
		case 23:
			return aLSMLogoff
		}
	case srcRdpCore:
		if e.ID == 104 {
			return aRDPClientZone
		}
		return aRDPTransport
	case srcScreenConnect:
		return classifyScreenConnect(e)
	case srcSplashtop:
		switch e.ID {
		case 1000:
			return aSTStart
		case 1001:
			return aSTEnd
		default:
			return aSTTransfer
		}
	case srcLogMeIn:
		return classifyLogMeIn(e)
	case srcEventlog:
		return aLogCleared
	case srcCRD:
		switch e.ID {
		case 1:
			return aCRDConnect
		case 2:
			return aCRDDisconnect
		case 3:
			return aCRDDenied
		case 4:
			return aCRDRoute
		}
	}
	return aNone
}

// classifyScreenConnect reads the message text first (the same text under
// IDs 0/1 in old builds), then the ID.
func classifyScreenConnect(e *event) action {
	first := firstLine(e.text())
	switch {
	case strings.HasSuffix(first, " Disconnected"):
		return aSCDisconnect
	case strings.HasSuffix(first, " Connected"):
		return aSCConnect
	case strings.HasPrefix(first, "Transferred files"):
		return aSCTransfer
	case strings.HasPrefix(first, "Executed command"):
		return aSCCommand
	case strings.Contains(first, "ended the remote session"):
		return aSCEnded
	}
	switch e.ID {
	case 100:
		return aSCConnect
	case 101:
		return aSCDisconnect
	case 200:
		return aSCCommand
	case 201:
		return aSCTransfer
	case 30:
		return aSCEnded
	}
	return aNone
}

// classifyLogMeIn reads the message text first (session-artifacts.md §6,
// second-hand: the text is all that is documented), then the ID.
func classifyLogMeIn(e *event) action {
	l := strings.ToLower(e.text())
	switch {
	case strings.Contains(l, "ended a remote control session"):
		return aLMIEnd
	case strings.Contains(l, "remote control session started"):
		return aLMIStart
	case strings.Contains(l, "successfully logged on"):
		return aLMILogon
	}
	switch e.ID {
	case 102:
		return aLMILogon
	case 202:
		return aLMIStart
	case 205:
		return aLMIEnd
	}
	return aNone
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
