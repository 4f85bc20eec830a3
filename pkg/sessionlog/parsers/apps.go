package parsers

import (
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/anydesk"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/chromoting"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/rustdesk"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/splashtop"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/supremo"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/teamviewer"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/ultraviewer"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/vncwin"
)

// appLogs: AnyDesk, TeamViewer, RustDesk, Splashtop, VNC-for-Windows, Chrome Remote Desktop (syslog), Supremo, UltraViewer and other tools' own text logs.
//
//	anydesk-trace, anydesk-connection-trace, anydesk-file-transfer   (tool anydesk)
//	teamviewer-log, teamviewer-connections-incoming, teamviewer-connections (tool teamviewer)
//	rustdesk (rustdesk), splashtop-splog (splashtop)
//	tightvnc, ultravnc, realvnc (tools of the same names)
//	chromoting-syslog (chrome-remote-desktop; Linux/macOS syslog text)
//	supremo (supremo), ultraviewer (ultraviewer)
func appLogs() []sessionlog.Parser {
	var ps []sessionlog.Parser
	ps = append(ps, anydesk.Parsers()...)
	ps = append(ps, teamviewer.Parsers()...)
	ps = append(ps, rustdesk.Parser{}, splashtop.SPLog{})
	ps = append(ps, vncwin.Parsers()...)
	ps = append(ps, chromoting.New(), supremo.New(), ultraviewer.New())
	return ps
}
