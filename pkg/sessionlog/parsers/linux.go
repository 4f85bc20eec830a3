package parsers

import "github.com/ratwatch/ratwatch/pkg/sessionlog"

// linuxServers: x11vnc, TigerVNC, xrdp, freerdp-shadow server logs.
func linuxServers() []sessionlog.Parser {
	return nil
}
