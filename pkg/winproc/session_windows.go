//go:build windows

package winproc

import "golang.org/x/sys/windows"

// SessionID returns the Terminal Services session a process runs in
// (ProcessIdToSessionId): 0 for services, 1+ for interactive and RDP logons.
// It needs PROCESS_QUERY_LIMITED_INFORMATION on the process.
func SessionID(pid uint32) (uint32, error) {
	var s uint32
	if err := windows.ProcessIdToSessionId(pid, &s); err != nil {
		return 0, err
	}
	return s, nil
}
