package parsers

import (
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/freerdpshadow"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/tigervnc"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/x11vnc"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/xrdp"
)

// linuxServers: x11vnc, TigerVNC, xrdp, freerdp-shadow server logs.
func linuxServers() []sessionlog.Parser {
	return []sessionlog.Parser{
		x11vnc.New(),        // x11vnc / x11vnc
		tigervnc.New(),      // tigervnc / tigervnc
		xrdp.New(),          // xrdp / xrdp (xrdp.log)
		xrdp.NewSesman(),    // xrdp-sesman / xrdp (xrdp-sesman.log)
		freerdpshadow.New(), // freerdp-shadow / freerdp
	}
}
