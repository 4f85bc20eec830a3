// Package audit judges a scan for scheduled audits (`ratwatch audit`): it
// applies an allow-list policy, compares the result with the baseline of the
// last audit (new / changed / gone), and keeps two audits from overlapping
// with a lock file. Nothing is dropped: an allowed finding stays in the
// report, marked with the entry that allowed it. docs/audit.md is the user
// documentation of everything here.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/signature"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ratwatch/ratwatch/pkg/report"
)

// Instance kinds. Session kinds match the peer of incoming sessions and
// attempts; install kinds identify which installation of a tool is on the
// host.
const (
	KindAnyDeskID             = "anydesk_id"
	KindTeamViewerID          = "teamviewer_id"
	KindRemoteID              = "remote_id"
	KindRemoteIP              = "remote_ip"
	KindScreenConnectInstance = "screenconnect_instance"
	KindScreenConnectRelay    = "screenconnect_relay"
	KindMeshCentralServer     = "meshcentral_server"
)

// kindTool restricts a kind to one tool id ("" = any tool).
var kindTool = map[string]string{
	KindAnyDeskID:             "anydesk",
	KindTeamViewerID:          "teamviewer",
	KindRemoteID:              "",
	KindRemoteIP:              "",
	KindScreenConnectInstance: "screenconnect",
	KindScreenConnectRelay:    "screenconnect",
	KindMeshCentralServer:     "meshcentral",
}

func isSessionKind(k string) bool {
	return k == KindAnyDeskID || k == KindTeamViewerID || k == KindRemoteID || k == KindRemoteIP
}

// Policy is a loaded, validated allow-list.
type Policy struct {
	File    string
	SHA256  string
	Entries []*Entry
}

// Entry is one allow-list entry.
type Entry struct {
	ID       string
	Tool     string
	Instance Instance
	Hosts    []string // glob patterns, case-insensitive; empty = every host
	Users    []string // glob patterns, case-insensitive; empty = every user
	Reason   string
	// Expires is the first instant the entry no longer allows; zero = never.
	Expires    time.Time
	ExpiresRaw string
	File       string
	Line       int
}

// Instance narrows an entry to one instance of the tool. Kind "" = the whole tool.
type Instance struct {
	Kind  string
	Value string // as written
	norm  string // normalised for comparison
	pfx   netip.Prefix
}

func (i Instance) String() string {
	if i.Kind == "" {
		return ""
	}
	return i.Kind + "=" + i.Value
}

// Ref describes the entry for a report.
func (e *Entry) Ref() report.AllowRef {
	id := e.ID
	loc := fmt.Sprintf("%s:%d", e.File, e.Line)
	if id == "" {
		id = loc
	}
	exp := e.ExpiresRaw
	if exp == "" {
		exp = "never"
	}
	return report.AllowRef{ID: id, Policy: loc, Tool: e.Tool, Instance: e.Instance.String(), Reason: e.Reason, Expires: exp}
}

// Expired tells whether the entry has stopped allowing at now.
func (e *Entry) Expired(now time.Time) bool { return !e.Expires.IsZero() && !now.Before(e.Expires) }

// HostOK tells whether the entry applies on host.
func (e *Entry) HostOK(host string) bool { return len(e.Hosts) == 0 || globAny(e.Hosts, host) }

// UserOK tells whether the entry covers something done by user. A user
// pattern without a backslash matches the name after the last backslash
// (DOMAIN\alice matches "alice"); an unknown user never matches a list.
func (e *Entry) UserOK(user string) bool {
	if len(e.Users) == 0 {
		return true
	}
	if user == "" {
		return false
	}
	short := user
	if i := strings.LastIndex(user, `\`); i >= 0 {
		short = user[i+1:]
	}
	for _, p := range e.Users {
		u := short
		if strings.Contains(p, `\`) {
			u = user
		}
		if globMatch(p, u) {
			return true
		}
	}
	return false
}

func globAny(pats []string, s string) bool {
	for _, p := range pats {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// globMatch is path.Match, case-insensitive; backslashes in patterns are
// literal (Windows user names), so they are matched as plain characters.
func globMatch(p, s string) bool {
	p, s = strings.ToLower(p), strings.ToLower(s)
	p = strings.ReplaceAll(p, `\`, `\\`)
	ok, _ := path.Match(p, s)
	return ok
}

// Error is one policy problem at file:line.
type Error = signature.Error

// Errors collects every problem, so the author sees them all at once (the
// same file:line errors as the signature loader's).
type Errors = signature.Errors

type rawPolicy struct {
	Version *int       `yaml:"version"`
	Allow   []rawEntry `yaml:"allow"`
}

type rawEntry struct {
	ID       string            `yaml:"id"`
	Tool     string            `yaml:"tool"`
	Instance map[string]string `yaml:"instance"`
	Hosts    []string          `yaml:"hosts"`
	Users    []string          `yaml:"users"`
	Reason   string            `yaml:"reason"`
	Expires  string            `yaml:"expires"`
}

// LoadPolicy reads and validates a policy file. knownTool tells whether a
// tool id exists in the signature set in use.
func LoadPolicy(file string, knownTool func(string) bool) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return ParsePolicy(file, data, knownTool)
}

var (
	yamlLineRE   = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	idRE         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	digitsRE     = regexp.MustCompile(`^[0-9]{6,12}$`)
	aliasRE      = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$`)
	hexIDRE      = regexp.MustCompile(`^[0-9a-f]{8,32}$`)
	hostRE       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// ParsePolicy validates policy YAML strictly: unknown fields, wrong types,
// unknown tool ids, bad instances, bad dates and missing reasons are errors
// located at file:line.
func ParsePolicy(file string, data []byte, knownTool func(string) bool) (*Policy, error) {
	var raw rawPolicy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if err.Error() == "EOF" {
			return nil, Errors{{File: file, Line: 0, Msg: "empty policy file (expected `version: 1` and an `allow:` list)"}}
		}
		return nil, yamlErrors(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: file, Line: extra.Line, Msg: "more than one YAML document; a policy is one document"}}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded once already
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	var errs Errors
	if raw.Version == nil {
		errs = append(errs, Error{File: file, Line: 1, Msg: "missing `version: 1`"})
	} else if *raw.Version != 1 {
		errs = append(errs, Error{File: file, Line: keyLine(doc, "version"), Msg: fmt.Sprintf("unsupported policy version %d (this ratwatch reads version 1)", *raw.Version)})
	}
	sum := sha256.Sum256(data)
	p := &Policy{File: file, SHA256: hex.EncodeToString(sum[:])}
	items := valueNode(doc, "allow")
	ids := map[string]int{}
	for i, re := range raw.Allow {
		item := doc
		if items != nil && i < len(items.Content) {
			item = items.Content[i]
		}
		line := func(key string) int {
			if l := keyLine(item, key); l > 0 {
				return l
			}
			return item.Line
		}
		bad := func(key, format string, a ...any) {
			errs = append(errs, Error{File: file, Line: line(key), Msg: fmt.Sprintf(format, a...)})
		}
		e := &Entry{ID: re.ID, Tool: re.Tool, Reason: strings.TrimSpace(re.Reason), File: file, Line: item.Line,
			Hosts: re.Hosts, Users: re.Users, ExpiresRaw: strings.TrimSpace(re.Expires)}
		if re.ID != "" {
			if !idRE.MatchString(re.ID) {
				bad("id", "id %q: use letters, digits, '.', '_' and '-'", re.ID)
			} else if prev, dup := ids[re.ID]; dup {
				bad("id", "duplicate id %q (first used at line %d)", re.ID, prev)
			} else {
				ids[re.ID] = line("id")
			}
		}
		switch {
		case re.Tool == "":
			bad("tool", "missing `tool` (a signature id, see `ratwatch signatures list`)")
		case knownTool != nil && !knownTool(re.Tool):
			bad("tool", "unknown tool id %q (see `ratwatch signatures list`)", re.Tool)
		}
		if e.Reason == "" {
			bad("reason", "missing `reason`: say why this is allowed (ticket, owner)")
		}
		switch {
		case e.ExpiresRaw == "":
			bad("expires", "missing `expires` (YYYY-MM-DD, an RFC 3339 time, or \"never\")")
		case e.ExpiresRaw == "never":
			e.ExpiresRaw = "never"
		default:
			t, err := parseExpires(e.ExpiresRaw)
			if err != nil {
				bad("expires", "%v", err)
			}
			e.Expires = t
		}
		for _, h := range re.Hosts {
			if err := checkGlob(h); err != nil {
				bad("hosts", "hosts: %v", err)
			}
		}
		for _, u := range re.Users {
			if err := checkGlob(u); err != nil {
				bad("users", "users: %v", err)
			}
		}
		if re.Instance != nil {
			inst, msg := parseInstance(re.Tool, re.Instance)
			if msg != "" {
				l := line("instance")
				if n := valueNode(item, "instance"); n != nil && len(n.Content) > 0 {
					l = n.Content[0].Line
				}
				errs = append(errs, Error{File: file, Line: l, Msg: msg})
			}
			e.Instance = inst
		}
		p.Entries = append(p.Entries, e)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

func checkGlob(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("empty pattern")
	}
	if _, err := path.Match(strings.ToLower(strings.ReplaceAll(p, `\`, `\\`)), ""); err != nil {
		return fmt.Errorf("bad pattern %q: %v", p, err)
	}
	return nil
}

// parseExpires reads a date (the entry allows through the end of that day,
// UTC) or an RFC 3339 time.
func parseExpires(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expires: %q is not a date (YYYY-MM-DD), an RFC 3339 time (2026-12-31T18:00:00+09:00) or \"never\"", s)
}

func parseInstance(tool string, m map[string]string) (Instance, string) {
	if len(m) != 1 {
		return Instance{}, fmt.Sprintf("instance: give exactly one of %s", strings.Join(kindNames(), ", "))
	}
	var in Instance
	for k, v := range m {
		in.Kind, in.Value = k, strings.TrimSpace(v)
	}
	want, ok := kindTool[in.Kind]
	if !ok {
		return in, fmt.Sprintf("instance: unknown kind %q (one of %s)", in.Kind, strings.Join(kindNames(), ", "))
	}
	if want != "" && tool != "" && tool != want {
		return in, fmt.Sprintf("instance: %s applies to tool %q, not %q", in.Kind, want, tool)
	}
	v := in.Value
	if v == "" {
		return in, fmt.Sprintf("instance: empty %s", in.Kind)
	}
	switch in.Kind {
	case KindAnyDeskID:
		in.norm = normID(v)
		if !digitsRE.MatchString(in.norm) && !aliasRE.MatchString(in.norm) {
			return in, fmt.Sprintf("instance: anydesk_id %q is neither an AnyDesk ID (digits) nor an alias (name@ad)", v)
		}
	case KindTeamViewerID:
		in.norm = normID(v)
		if !digitsRE.MatchString(in.norm) {
			return in, fmt.Sprintf("instance: teamviewer_id %q is not a TeamViewer ID (6–12 digits)", v)
		}
	case KindRemoteID:
		in.norm = normID(v)
	case KindRemoteIP:
		if pfx, err := netip.ParsePrefix(v); err == nil {
			in.pfx = pfx.Masked()
		} else if a, err := netip.ParseAddr(v); err == nil {
			a = a.Unmap().WithZone("")
			in.pfx = netip.PrefixFrom(a, a.BitLen())
		} else {
			return in, fmt.Sprintf("instance: remote_ip %q is not an IP address or CIDR prefix", v)
		}
	case KindScreenConnectInstance:
		in.norm = strings.ToLower(v)
		if !hexIDRE.MatchString(in.norm) {
			return in, fmt.Sprintf("instance: screenconnect_instance %q is not a ScreenConnect instance id (hex, as in \"ScreenConnect Client (6e7a0f3b1c2d4e5f)\")", v)
		}
	case KindScreenConnectRelay:
		hp, ok := normHostPort(v)
		if !ok {
			return in, fmt.Sprintf("instance: screenconnect_relay %q is not a host name (relay.example.com or relay.example.com:8041)", v)
		}
		in.norm = hp
	case KindMeshCentralServer:
		hp, ok := serverHostPort(v)
		if !ok {
			return in, fmt.Sprintf("instance: meshcentral_server %q is not a server URL (wss://mesh.example.com) or host name", v)
		}
		in.norm = hp
	}
	return in, ""
}

func kindNames() []string {
	return []string{KindAnyDeskID, KindTeamViewerID, KindRemoteID, KindRemoteIP, KindScreenConnectInstance, KindScreenConnectRelay, KindMeshCentralServer}
}

// normID removes spaces and lower-cases a tool ID ("123 456 789" = "123456789").
func normID(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// normHostPort lower-cases host[:port] and checks it.
func normHostPort(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	host, port := s, ""
	if i := strings.LastIndex(s, ":"); i > 0 && !strings.Contains(s[:i], ":") {
		host, port = s[:i], s[i+1:]
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return "", false
		}
	}
	if !hostRE.MatchString(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", false
		}
	}
	if port != "" {
		return host + ":" + port, true
	}
	return host, true
}

// serverHostPort reads host[:port] from a URL (wss://h:p/agent.ashx) or a bare host.
func serverHostPort(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", false
		}
		return normHostPort(u.Host)
	}
	return normHostPort(strings.TrimSuffix(s, "/"))
}

// hostPortMatch: same host, and the same port when the policy names one.
func hostPortMatch(policy, seen string) bool {
	ph, pp := splitHP(policy)
	sh, sp := splitHP(seen)
	return ph == sh && (pp == "" || pp == sp)
}

func splitHP(s string) (string, string) {
	if i := strings.LastIndex(s, ":"); i > 0 && !strings.Contains(s[:i], ":") {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func yamlErrors(file string, err error) Errors {
	var out Errors
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "yaml: unmarshal errors:"))
		if l == "" {
			continue
		}
		l = strings.TrimPrefix(l, "yaml: ")
		n := 0
		if m := yamlLineRE.FindStringSubmatch(l); m != nil {
			n, _ = strconv.Atoi(m[1])
			l = m[2]
		}
		if m := unknownField.FindStringSubmatch(l); m != nil {
			l = fmt.Sprintf("unknown field %q", m[1])
		}
		out = append(out, Error{File: file, Line: n, Msg: l})
	}
	return out
}

func valueNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func keyLine(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// ExpiredEntries lists the entries that have expired at now.
func (p *Policy) ExpiredEntries(now time.Time) []report.AllowRef {
	var out []report.AllowRef
	for _, e := range p.Entries {
		if e.Expired(now) {
			r := e.Ref()
			r.Note = e.expiredNote() + ": no longer allows anything"
			out = append(out, r)
		}
	}
	return out
}

// expiredNote says when the entry expired, in the form it was written.
func (e *Entry) expiredNote() string {
	if _, err := time.Parse("2006-01-02", e.ExpiresRaw); err == nil {
		return "expired at the end of " + e.ExpiresRaw + " (UTC)"
	}
	return "expired at " + e.ExpiresRaw
}
