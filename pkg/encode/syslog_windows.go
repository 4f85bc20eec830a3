//go:build windows

package encode

import (
	"errors"

	"golang.org/x/sys/windows/svc/eventlog"
)

// Event ids written to the Application log, source "ratwatch".
const (
	EventInfo    = 1
	EventNotice  = 2
	EventWarning = 3
	EventCrit    = 4
)

// maxEventMessage keeps a message under ReportEvent's 31,839-character limit.
const maxEventMessage = 31000

type eventLogSink struct{ l *eventlog.Log }

// OpenSyslog opens the Windows Application event log with source
// "ratwatch", registering the source first when it is missing (that needs
// administrator rights; without them events are still written, but Event
// Viewer shows them with a "description cannot be found" preamble).
func OpenSyslog() (Sink, error) {
	_ = eventlog.InstallAsEventCreate(SyslogTag, eventlog.Error|eventlog.Warning|eventlog.Info) // fails harmlessly when registered
	l, err := eventlog.Open(SyslogTag)
	if err != nil {
		return nil, err
	}
	return &eventLogSink{l}, nil
}

func (s *eventLogSink) Send(sev Severity, line []byte) error {
	msg := trimLine(line)
	if len(msg) > maxEventMessage {
		msg = msg[:maxEventMessage] + "…"
	}
	switch sev {
	case SevCrit:
		return s.l.Error(EventCrit, msg)
	case SevWarning:
		return s.l.Warning(EventWarning, msg)
	case SevNotice:
		return s.l.Info(EventNotice, msg)
	}
	return s.l.Info(EventInfo, msg)
}

func (s *eventLogSink) Close() error { return s.l.Close() }

// DialSyslog is not available on Windows: events go to the event log.
func DialSyslog(network, addr string) (Sink, error) {
	return nil, errors.New("--syslog-server is not supported on Windows (events go to the Application event log)")
}
