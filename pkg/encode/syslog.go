package encode

import (
	"encoding/json"
	"strings"
)

// Severity of one line sent to the system log.
type Severity int

// Severities, lowest first.
const (
	SevInfo Severity = iota
	SevNotice
	SevWarning
	SevCrit
)

func (s Severity) String() string {
	return [...]string{"info", "notice", "warning", "crit"}[s]
}

// Sink delivers lines to a log service (syslog on Unix, the event log on
// Windows), one message per line.
type Sink interface {
	Send(sev Severity, line []byte) error
	Close() error
}

// SyslogTag is the syslog tag and the Windows event source.
const SyslogTag = "ratwatch"

// LineSeverity grades one NDJSON or ECS line for the system log:
//
//	crit     remote control established and not allowed (verdict with exit
//	         code 3, a not-allowed established finding, a not-allowed
//	         incoming session)
//	warning  something not allowed (finding, attempt), a verdict with exit 2
//	notice   something gone since the last audit
//	info     everything else (allowed, unchanged, outgoing)
func LineSeverity(line []byte) Severity {
	var v map[string]any
	if json.Unmarshal(line, &v) != nil {
		return SevWarning
	}
	if _, ecs := v["ecs"]; ecs {
		return ecsSeverity(v)
	}
	audit, _ := v["audit"].(map[string]any)
	allowed := audit != nil && audit["allowed"] == true
	switch v["type"] {
	case "verdict":
		switch code, _ := v["exit_code"].(float64); {
		case code == 3:
			return SevCrit
		case code >= 1:
			return SevWarning
		}
		return SevInfo
	case "finding":
		if allowed {
			return SevInfo
		}
		if f, _ := v["finding"].(map[string]any); f != nil && f["verdict"] == "established" {
			return SevCrit
		}
		return SevWarning
	case "session":
		if allowed {
			return SevInfo
		}
		s, _ := v["session"].(map[string]any)
		group, _ := v["group"].(string)
		if group == "outgoing" || (s != nil && s["direction"] == "outgoing") {
			return SevInfo
		}
		if s != nil && s["outcome"] == "established" && group != "attempt" {
			return SevCrit
		}
		return SevWarning
	case "gone":
		return SevNotice
	}
	return SevInfo
}

func ecsSeverity(v map[string]any) Severity {
	ev, _ := v["event"].(map[string]any)
	labels, _ := v["labels"].(map[string]any)
	if labels != nil && labels["ratwatch_change"] == "gone" {
		return SevNotice
	}
	if ev == nil || ev["kind"] != "alert" {
		return SevInfo
	}
	if labels != nil && (labels["ratwatch_exit_code"] == "3" || labels["ratwatch_verdict"] == "established") {
		return SevCrit
	}
	if cat, _ := ev["category"].([]any); len(cat) == 1 && cat[0] == "session" && ev["outcome"] == "success" {
		return SevCrit
	}
	return SevWarning
}

func trimLine(line []byte) string { return strings.TrimRight(string(line), "\r\n") }
