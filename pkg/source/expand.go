package source

import (
	"os"
	"strings"
)

// Expand turns a signature path pattern into concrete patterns of the
// inspected system. Placeholders:
//
//	{home}          every user's home / profile folder
//	{appdata}       {home}/AppData/Roaming      {localappdata} {home}/AppData/Local
//	{temp}          {home}/AppData/Local/Temp on Windows, /tmp elsewhere
//	{programfiles}  Program Files               {programfilesx86} Program Files (x86)
//	{programdata}   ProgramData                 {systemroot} Windows
//
// Placeholders are case-insensitive.
func (s *Source) Expand(pattern string) []string {
	p := strings.ReplaceAll(pattern, `\`, "/")
	lower := strings.ToLower(p)
	sys := s.systemFolders()
	for k, v := range sys {
		if i := strings.Index(lower, k); i >= 0 {
			p = p[:i] + v + p[i+len(k):]
			lower = strings.ToLower(p)
		}
	}
	perUser := []struct{ key, suffix string }{
		{"{appdata}", "/AppData/Roaming"},
		{"{localappdata}", "/AppData/Local"},
		{"{home}", ""},
	}
	if s.os == "windows" {
		perUser = append(perUser, struct{ key, suffix string }{"{temp}", "/AppData/Local/Temp"})
	} else if i := strings.Index(lower, "{temp}"); i >= 0 {
		p = p[:i] + "/tmp" + p[i+len("{temp}"):]
		lower = strings.ToLower(p)
	}
	for _, pu := range perUser {
		i := strings.Index(lower, pu.key)
		if i < 0 {
			continue
		}
		var out []string
		for _, u := range s.Users() {
			home := strings.ReplaceAll(u.Home, `\`, "/")
			out = append(out, p[:i]+home+pu.suffix+p[i+len(pu.key):])
		}
		return out
	}
	return []string{p}
}

func (s *Source) systemFolders() map[string]string {
	drive := "C:"
	if s.live && s.os == "windows" {
		if d := os.Getenv("SystemDrive"); d != "" {
			drive = d
		}
	}
	if !s.live {
		drive = ""
	}
	if s.os != "windows" {
		return map[string]string{}
	}
	return map[string]string{
		"{programfilesx86}": drive + "/Program Files (x86)",
		"{programfiles}":    drive + "/Program Files",
		"{programdata}":     drive + "/ProgramData",
		"{systemroot}":      drive + "/Windows",
	}
}
