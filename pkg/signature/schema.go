// Package signature loads, validates and compiles the remote-access tool
// signatures (signatures/*.yaml) and matches observations against them.
//
// Authoring rules (docs/signatures.md): every name list is case-insensitive and
// may use the wildcards * (any run of characters) and ? (one character);
// cmdline patterns are RE2 regular expressions; paths use / or \ alike.
package signature

// OS keys used in per-OS lists (Go's GOOS names).
var OSes = []string{"linux", "windows", "darwin"}

// Categories a signature may declare.
var Categories = []string{
	"remote-support", // attended support tools (AnyDesk, TeamViewer QuickSupport, Quick Assist…)
	"remote-desktop", // unattended remote desktop products (Splashtop, Chrome Remote Desktop, NoMachine…)
	"rmm",            // remote monitoring & management agents (Atera, NinjaOne, Kaseya…)
	"vnc",            // RFB servers and viewers
	"rdp",            // RDP servers and clients
}

// Signature describes one remote-access tool.
type Signature struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Vendor      string   `yaml:"vendor"`
	Category    string   `yaml:"category"`
	Description string   `yaml:"description"`
	Aliases     []string `yaml:"aliases"`
	References  []string `yaml:"references"`
	// ScamUse marks tools that IPA / vendor advisories report in tech-support scams.
	ScamUse bool `yaml:"scam_use"`
	// Builtin: the tool ships with the OS (Windows' TermService, Quick
	// Assist's package on Windows 11), so its service or package is on
	// every PC of that OS. That presence alone is listed, not counted as a
	// tool found (verdict rule 12); any other sign (a file it leaves when
	// used, a run, a process, a socket, a log record) counts as usual.
	Builtin bool `yaml:"builtin" json:",omitempty"`

	Process  Process  `yaml:"process"`
	PE       PE       `yaml:"pe"`
	Signers  []string `yaml:"signers"`
	Software Software `yaml:"software"`
	Services PerOS    `yaml:"services"`
	Paths    Paths    `yaml:"paths"`
	Network  Network  `yaml:"network"`
	Logs     []Log    `yaml:"logs"`
	Examples Examples `yaml:"examples"`

	// File and Line locate the signature's source for error messages.
	File string `yaml:"-"`
	Line int    `yaml:"-"`

	c compiled
}

// PerOS is a list of values per operating system.
type PerOS struct {
	Linux   []string `yaml:"linux"`
	Windows []string `yaml:"windows"`
	Darwin  []string `yaml:"darwin"`
}

// For returns the list for one OS.
func (p PerOS) For(os string) []string {
	switch os {
	case "linux":
		return p.Linux
	case "windows":
		return p.Windows
	case "darwin":
		return p.Darwin
	}
	return nil
}

// Process describes the tool's processes.
type Process struct {
	// Names are process (image) names that serve remote control of this host.
	Names PerOS `yaml:"names"`
	// ClientNames are viewer/controller processes: their sessions are outgoing.
	ClientNames PerOS `yaml:"client_names"`
	// Paths are executable path wildcards.
	Paths PerOS `yaml:"paths"`
	// Cmdline regexes identify the tool by its command line (e.g. java -jar …).
	Cmdline []string `yaml:"cmdline"`
	// SessionCmdline regexes mark a process that exists only while a remote
	// session runs (e.g. TeamViewer_Desktop … --Module 1): a live-session signal.
	SessionCmdline []string `yaml:"session_cmdline"`
	// LogFlags are command-line flags whose value is a log file (x11vnc -o).
	LogFlags []string `yaml:"log_flags"`
}

// PE is Windows version-resource metadata.
type PE struct {
	OriginalFilename []string `yaml:"original_filename"`
	CompanyName      []string `yaml:"company_name"`
	ProductName      []string `yaml:"product_name"`
}

// Software names as the OS's installed-software records show them.
type Software struct {
	Windows []string `yaml:"windows"` // Uninstall DisplayName
	MSIX    []string `yaml:"msix"`    // package family names
	Dpkg    []string `yaml:"dpkg"`
	RPM     []string `yaml:"rpm"`
	Darwin  []string `yaml:"darwin"` // bundle identifiers
}

// Paths are file-system globs with placeholders (see docs/signatures.md).
type Paths struct {
	Install  PerOS `yaml:"install"`
	Portable PerOS `yaml:"portable"`
	Config   PerOS `yaml:"config"`
}

// Network facts.
type Network struct {
	Domains []string `yaml:"domains"`
	Ports   []Port   `yaml:"ports"`
}

// Port is a port (or range) the tool uses, with its role.
type Port struct {
	Port  int    `yaml:"port"`
	To    int    `yaml:"to"` // inclusive end of a range; 0 = single port
	Proto string `yaml:"proto"`
	// Role: relay (to vendor infrastructure), direct (peer to peer), listen
	// (this host accepts connections on it).
	Role string `yaml:"role"`
	Note string `yaml:"note"`
}

// Port roles.
const (
	RoleRelay  = "relay"
	RoleDirect = "direct"
	RoleListen = "listen"
)

// Log is where the tool records sessions and which parser reads it.
type Log struct {
	Parser string `yaml:"parser"`
	// Unparsed lists a session log ratwatch has no parser for (LogMeIn.log,
	// Radmin's Radm_log.htm): the tool writes it as it runs, so a non-empty
	// one shows it ran, and the sessions it may hold were not read (verdict
	// rule 11). Such an entry has paths and no parser.
	Unparsed bool  `yaml:"unparsed" json:",omitempty"`
	Paths    PerOS `yaml:"paths"`
	// Config finds the log path in the tool's own configuration file, for
	// tools whose log location is configurable (xrdp: -c FILE → [Logging]
	// LogFile=).
	Config *LogConfig `yaml:"config"`
	// EmptyWhenInstalled: the tool's package creates this log empty
	// (xrdp's postinst), so an empty one does not show a wiped log unless
	// the tool is known to have run. Any other tool's log is written
	// first by the tool itself: empty, it was wiped (verdict rule 9).
	EmptyWhenInstalled bool   `yaml:"empty_when_installed" json:",omitempty"`
	Note               string `yaml:"note"`
}

// LogConfig says where a tool's configuration names its log file.
type LogConfig struct {
	// Process names (as in process.names) whose command line is read.
	Process []string `yaml:"process"`
	// Flags name the configuration file on that command line ("-c FILE").
	Flags []string `yaml:"flags"`
	// Default configuration file when no flag is given (and offline).
	Default PerOS `yaml:"default"`
	// Key is the INI "Section.Key" holding the log path.
	Key string `yaml:"key"`
	// RelativeTo is the folder a relative log path is taken from.
	RelativeTo string `yaml:"relative_to"`
}

// Examples are observations the signature must (TruePositives) and must not
// (FalsePositives) match. The test suite checks every one.
type Examples struct {
	TruePositives  []Example `yaml:"true_positives"`
	FalsePositives []Example `yaml:"false_positives"`
}

// Example is one observation; exactly one of its parts is set.
type Example struct {
	Process  *ProcessExample  `yaml:"process"`
	Software *SoftwareExample `yaml:"software"`
	Service  *ServiceExample  `yaml:"service"`
	Domain   string           `yaml:"domain"`
	PE       *PEExample       `yaml:"pe"`
	Signer   string           `yaml:"signer"`
	Note     string           `yaml:"note"`
	Line     int              `yaml:"-"`
}

// ProcessExample is a process as the process scanner reports it.
type ProcessExample struct {
	OS      string `yaml:"os"`
	Name    string `yaml:"name"`
	Exe     string `yaml:"exe"`
	Cmdline string `yaml:"cmdline"`
}

// SoftwareExample is an installed-software record.
type SoftwareExample struct {
	Manager  string `yaml:"manager"` // dpkg, rpm, windows-uninstall, msix, macos-bundle
	Name     string `yaml:"name"`
	BundleID string `yaml:"bundle_id"`
}

// ServiceExample is a service definition.
type ServiceExample struct {
	OS   string `yaml:"os"`
	Name string `yaml:"name"`
}

// PEExample is PE version metadata.
type PEExample struct {
	OriginalFilename string `yaml:"original_filename"`
	CompanyName      string `yaml:"company_name"`
	ProductName      string `yaml:"product_name"`
}
