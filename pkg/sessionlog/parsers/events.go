package parsers

import (
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/eventlog"
)

// eventLogs: Windows event logs (EVTX and exported XML): RDP, ScreenConnect, Splashtop, Chrome Remote Desktop….
func eventLogs() []sessionlog.Parser {
	return []sessionlog.Parser{eventlog.New()}
}
