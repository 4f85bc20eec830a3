// Package parsers lists every session-log parser explicitly (no init-time
// self-registration in parser packages), so what ratwatch reads is visible in
// one place.
package parsers

import (
	"sync"

	"github.com/ratwatch/ratwatch/pkg/sessionlog"
)

var once sync.Once

// Register registers every parser once; safe to call many times.
func Register() {
	once.Do(func() {
		var all []sessionlog.Parser
		all = append(all, linuxServers()...)
		all = append(all, appLogs()...)
		all = append(all, eventLogs()...)
		sessionlog.Register(all...)
	})
}

// Exists tells whether a parser name is known (for signature validation).
func Exists(name string) bool {
	Register()
	_, ok := sessionlog.Get(name)
	return ok
}
