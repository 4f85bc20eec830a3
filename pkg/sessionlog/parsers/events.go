package parsers

import "github.com/ratwatch/ratwatch/pkg/sessionlog"

// eventLogs: Windows event logs (EVTX and exported XML): RDP, ScreenConnect, Splashtop, Chrome Remote Desktop….
func eventLogs() []sessionlog.Parser {
	return nil
}
