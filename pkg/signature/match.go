package signature

import (
	"regexp"
	"strings"
)

// Hit is one signature rule that matched one value: the explanation a
// finding carries (what was searched, what was found, by which rule).
type Hit struct {
	Signature string `json:"signature"`
	Rule      string `json:"rule"`    // e.g. "process.names.linux"
	Pattern   string `json:"pattern"` // the signature's pattern
	Value     string `json:"value"`   // what was observed
}

type compiled struct {
	names, clientNames, paths map[string][]wildcard
	cmdline, sessionCmdline   []*regexp.Regexp
	peOrig, peCompany, peProd []wildcard
	signers                   []wildcard
	swWindows, swMSIX         []wildcard
	swDpkg, swRPM, swDarwin   []wildcard
	services                  map[string][]wildcard
	domains                   []wildcard
}

func (s *Signature) compile() {
	perOS := func(p PerOS) map[string][]wildcard {
		m := map[string][]wildcard{}
		for _, os := range OSes {
			m[os] = compileAll(p.For(os))
		}
		return m
	}
	c := compiled{
		names:       perOS(s.Process.Names),
		clientNames: perOS(s.Process.ClientNames),
		paths:       perOS(s.Process.Paths),
		peOrig:      compileAll(s.PE.OriginalFilename),
		peCompany:   compileAll(s.PE.CompanyName),
		peProd:      compileAll(s.PE.ProductName),
		signers:     compileAll(s.Signers),
		swWindows:   compileAll(s.Software.Windows),
		swMSIX:      compileAll(s.Software.MSIX),
		swDpkg:      compileAll(s.Software.Dpkg),
		swRPM:       compileAll(s.Software.RPM),
		swDarwin:    compileAll(s.Software.Darwin),
		services:    perOS(s.Services),
		domains:     compileAll(s.Network.Domains),
	}
	for _, e := range s.Process.Cmdline {
		c.cmdline = append(c.cmdline, regexp.MustCompile(e))
	}
	for _, e := range s.Process.SessionCmdline {
		c.sessionCmdline = append(c.sessionCmdline, regexp.MustCompile(e))
	}
	s.c = c
}

func (s *Signature) hit(rule, pattern, value string) Hit {
	return Hit{Signature: s.ID, Rule: rule, Pattern: pattern, Value: value}
}

// ProcessMatch is the result of matching a process.
type ProcessMatch struct {
	Hits []Hit
	// Client is true when the process is a viewer/controller of this tool.
	Client bool
	// SessionProcess is true when the command line marks a live session.
	SessionProcess bool
}

// MatchProcess matches a process by name, executable path and command line.
func (s *Signature) MatchProcess(os, name, exe, cmdline string) ProcessMatch {
	var m ProcessMatch
	base := BaseName(exe)
	for _, v := range uniq(name, base) {
		if p, ok := firstMatch(s.c.names[os], v); ok {
			m.Hits = append(m.Hits, s.hit("process.names."+os, p, v))
			break
		}
	}
	for _, v := range uniq(name, base) {
		if p, ok := firstMatch(s.c.clientNames[os], v); ok {
			m.Hits = append(m.Hits, s.hit("process.client_names."+os, p, v))
			m.Client = true
			break
		}
	}
	if p, ok := firstMatch(s.c.paths[os], exe); ok {
		m.Hits = append(m.Hits, s.hit("process.paths."+os, p, exe))
	}
	if cmdline != "" {
		for _, re := range s.c.cmdline {
			if re.MatchString(cmdline) {
				m.Hits = append(m.Hits, s.hit("process.cmdline", re.String(), cmdline))
				break
			}
		}
	}
	if len(m.Hits) > 0 && cmdline != "" {
		for _, re := range s.c.sessionCmdline {
			if re.MatchString(cmdline) {
				m.Hits = append(m.Hits, s.hit("process.session_cmdline", re.String(), cmdline))
				m.SessionProcess = true
				break
			}
		}
	}
	return m
}

// MatchSoftware matches an installed-software record by its manager.
func (s *Signature) MatchSoftware(manager, name, bundleID string) []Hit {
	var ws []wildcard
	var rule string
	v := name
	switch manager {
	case "dpkg":
		ws, rule = s.c.swDpkg, "software.dpkg"
	case "rpm":
		ws, rule = s.c.swRPM, "software.rpm"
	case "windows-uninstall":
		ws, rule = s.c.swWindows, "software.windows"
	case "msix":
		ws, rule = s.c.swMSIX, "software.msix"
	case "macos-bundle":
		ws, rule, v = s.c.swDarwin, "software.darwin", bundleID
	default:
		return nil
	}
	if p, ok := firstMatch(ws, v); ok {
		return []Hit{s.hit(rule, p, v)}
	}
	return nil
}

// MatchService matches a service / unit / launchd label name.
func (s *Signature) MatchService(os, name string) []Hit {
	if p, ok := firstMatch(s.c.services[os], name); ok {
		return []Hit{s.hit("services."+os, p, name)}
	}
	return nil
}

// MatchDomain matches a DNS name against the tool's domains.
func (s *Signature) MatchDomain(domain string) []Hit {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	if p, ok := firstMatch(s.c.domains, d); ok {
		return []Hit{s.hit("network.domains", p, d)}
	}
	return nil
}

// MatchPE matches PE version-resource metadata. OriginalFilename or
// ProductName decide; CompanyName alone is too broad and only supports.
func (s *Signature) MatchPE(orig, company, product string) []Hit {
	var hits []Hit
	if p, ok := firstMatch(s.c.peOrig, orig); ok {
		hits = append(hits, s.hit("pe.original_filename", p, orig))
	}
	if p, ok := firstMatch(s.c.peProd, product); ok {
		hits = append(hits, s.hit("pe.product_name", p, product))
	}
	if len(hits) > 0 {
		if p, ok := firstMatch(s.c.peCompany, company); ok {
			hits = append(hits, s.hit("pe.company_name", p, company))
		}
	}
	return hits
}

// MatchSigner matches an Authenticode signer subject (CN or full subject).
// For a full X.500 subject ("CN=AnyDesk Software GmbH, O=…, C=DE") the CN and
// O values are tried as well, so authors write the plain organisation name.
func (s *Signature) MatchSigner(subject string) []Hit {
	for _, v := range append([]string{subject}, dnValues(subject)...) {
		if p, ok := firstMatch(s.c.signers, v); ok {
			return []Hit{s.hit("signers", p, subject)}
		}
	}
	return nil
}

// dnValues returns the CN and O values of an X.500 subject string. Values may
// be quoted or use backslash escapes; a comma-separated piece without "=" is
// taken as part of the previous value, as Windows tools print
// "CN=DUC FABULOUS CO.,LTD" unescaped. It returns nil when s is no DN.
func dnValues(s string) []string {
	if !strings.Contains(s, "=") {
		return nil
	}
	var parts []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case (r == ',' || r == ';' || r == '+') && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	parts = append(parts, cur.String())
	type attr struct{ key, val string }
	var attrs []attr
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if ok && isAttrKey(strings.TrimSpace(k)) {
			attrs = append(attrs, attr{strings.ToUpper(strings.TrimSpace(k)), strings.TrimSpace(v)})
			continue
		}
		if len(attrs) > 0 {
			attrs[len(attrs)-1].val += "," + p
		}
	}
	var out []string
	for _, a := range attrs {
		if a.key == "CN" || a.key == "O" {
			out = append(out, strings.TrimSpace(a.val))
		}
	}
	return out
}

// isAttrKey reports whether k looks like a DN attribute type (CN, O, OU,
// serialNumber, 2.5.4.97…).
func isAttrKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.') {
			return false
		}
	}
	return true
}

// ListenPort reports the signature's port entry covering port/proto, if any.
func (s *Signature) PortRole(port uint32, proto string) (Port, bool) {
	for _, p := range s.Network.Ports {
		if p.Proto != "" && !strings.EqualFold(p.Proto, proto) {
			continue
		}
		hi := p.To
		if hi == 0 {
			hi = p.Port
		}
		if int(port) >= p.Port && int(port) <= hi {
			return p, true
		}
	}
	return Port{}, false
}

// BaseName is the last element of a Windows or POSIX path.
func BaseName(p string) string {
	p = normSep(p)
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func uniq(a, b string) []string {
	if a == "" {
		return []string{b}
	}
	if b == "" || strings.EqualFold(a, b) {
		return []string{a}
	}
	return []string{a, b}
}
