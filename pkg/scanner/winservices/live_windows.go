//go:build windows

package winservices

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/inventory"
)

const servicesPath = `SYSTEM\CurrentControlSet\Services`

func scanLive(ctx context.Context) (inventory.Inventory, bool) {
	k, err := hive.OpenLive(registry.LOCAL_MACHINE, servicesPath, hive.ViewDefault, `HKLM\`+servicesPath)
	if err != nil {
		st := inventory.ScannerStatus{Name: Name, Status: inventory.StatusFailed, Reason: err.Error()}
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}, true
	}
	svcs, errs := Services(ctx, k)
	k.Close()
	states, err := scmStates()
	if err != nil {
		errs = append(errs, "service control manager: "+err.Error())
	}
	seen := map[string]bool{}
	for i := range svcs {
		key := strings.ToLower(svcs[i].Name)
		seen[key] = true
		if s, ok := states[key]; ok {
			svcs[i].State = s.state
			if s.pid != 0 {
				if svcs[i].Details == nil {
					svcs[i].Details = map[string]string{}
				}
				svcs[i].Details["pid"] = strconv.FormatUint(uint64(s.pid), 10)
			}
		}
	}
	// Services the SCM knows but the registry walk missed.
	for key, s := range states {
		if !seen[key] {
			svc := inventory.Service{Manager: "windows-scm", Name: s.name, DisplayName: s.display, State: s.state, Source: "SCM"}
			svcs = append(svcs, svc)
		}
	}
	return result(svcs, errs, nil), true
}

type scmState struct {
	name, display, state string
	pid                  uint32
}

// scmStates enumerates Win32 services and their state with an SCM handle
// opened for connect + enumerate only (no change rights).
func scmStates() (map[string]scmState, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT|windows.SC_MANAGER_ENUMERATE_SERVICE)
	// While the SCM starts (a scan at boot; Wine's services.exe on first
	// use) it answers "RPC server unavailable": a few tries, 2.5 s at most.
	for try := 0; err == windows.RPC_S_SERVER_UNAVAILABLE && try < 5; try++ {
		time.Sleep(500 * time.Millisecond)
		h, err = windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT|windows.SC_MANAGER_ENUMERATE_SERVICE)
	}
	if err != nil {
		return nil, err
	}
	defer windows.CloseServiceHandle(h)
	var needed, count, resume uint32
	buf := make([]byte, 64<<10)
	out := map[string]scmState{}
	for {
		err := windows.EnumServicesStatusEx(h, windows.SC_ENUM_PROCESS_INFO, windows.SERVICE_WIN32,
			windows.SERVICE_STATE_ALL, &buf[0], uint32(len(buf)), &needed, &count, &resume, nil)
		if err != nil && err != windows.ERROR_MORE_DATA {
			return out, err
		}
		if count > 0 {
			ents := unsafe.Slice((*windows.ENUM_SERVICE_STATUS_PROCESS)(unsafe.Pointer(&buf[0])), count)
			for _, e := range ents {
				name := windows.UTF16PtrToString(e.ServiceName)
				out[strings.ToLower(name)] = scmState{
					name:    name,
					display: windows.UTF16PtrToString(e.DisplayName),
					state:   stateName(e.ServiceStatusProcess.CurrentState),
					pid:     e.ServiceStatusProcess.ProcessId,
				}
			}
		}
		if err == nil {
			return out, nil
		}
		if count == 0 && needed <= uint32(len(buf)) {
			return out, fmt.Errorf("EnumServicesStatusEx made no progress")
		}
		if needed > uint32(len(buf)) {
			if needed > 16<<20 {
				return out, fmt.Errorf("EnumServicesStatusEx wants %d bytes", needed)
			}
			buf = make([]byte, needed)
		}
	}
}

func stateName(s uint32) string {
	switch s {
	case windows.SERVICE_STOPPED:
		return "stopped"
	case windows.SERVICE_START_PENDING:
		return "start pending"
	case windows.SERVICE_STOP_PENDING:
		return "stop pending"
	case windows.SERVICE_RUNNING:
		return "running"
	case windows.SERVICE_CONTINUE_PENDING:
		return "continue pending"
	case windows.SERVICE_PAUSE_PENDING:
		return "pause pending"
	case windows.SERVICE_PAUSED:
		return "paused"
	}
	return strconv.FormatUint(uint64(s), 10)
}
