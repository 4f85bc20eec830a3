//go:build !windows && !plan9 && !js && !wasip1

package encode

import (
	"log/syslog"
)

// syslogSink sends lines to syslog with facility daemon and tag ratwatch.
type syslogSink struct{ w *syslog.Writer }

// OpenSyslog connects to the local syslog daemon (/dev/log and friends).
func OpenSyslog() (Sink, error) { return DialSyslog("", "") }

// DialSyslog connects to a syslog daemon at network/addr ("" "" = local).
func DialSyslog(network, addr string) (Sink, error) {
	w, err := syslog.Dial(network, addr, syslog.LOG_DAEMON|syslog.LOG_INFO, SyslogTag)
	if err != nil {
		return nil, err
	}
	return &syslogSink{w}, nil
}

func (s *syslogSink) Send(sev Severity, line []byte) error {
	msg := trimLine(line)
	switch sev {
	case SevCrit:
		return s.w.Crit(msg)
	case SevWarning:
		return s.w.Warning(msg)
	case SevNotice:
		return s.w.Notice(msg)
	}
	return s.w.Info(msg)
}

func (s *syslogSink) Close() error { return s.w.Close() }
