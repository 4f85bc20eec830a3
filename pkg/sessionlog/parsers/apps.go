package parsers

import "github.com/ratwatch/ratwatch/pkg/sessionlog"

// appLogs: AnyDesk, TeamViewer, RustDesk, Splashtop, VNC-for-Windows and other tools' own text logs.
func appLogs() []sessionlog.Parser {
	return nil
}
