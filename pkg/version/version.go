// Package version holds build information, set with -ldflags -X at release
// time; a plain `go build` falls back to the VCS data Go embeds.
package version

import "runtime/debug"

var (
	// Version is the release version.
	Version = "0.1.0-dev"
	// Commit is the source commit.
	Commit = ""
)

func init() {
	if Commit != "" {
		return
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				Commit = s.Value
			}
			if s.Key == "vcs.modified" && s.Value == "true" && Commit != "" {
				Commit += "-dirty"
			}
		}
	}
	if Commit == "" {
		Commit = "unknown"
	}
}
