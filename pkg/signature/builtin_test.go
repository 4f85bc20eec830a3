package signature_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
)

// requiredIDs are referred to by other packages and by the docs.
var requiredIDs = []string{
	"anydesk", "teamviewer", "logmein", "logmein-rescue", "goto-resolve",
	"screenconnect", "quick-assist", "ultraviewer", "supremo", "anyviewer",
	"rustdesk", "splashtop", "chrome-remote-desktop", "zoho-assist", "aeroadmin",
	"ammyy-admin", "remotepc", "dwservice", "isl-light", "hoptodesk", "awesun",
	"todesk", "atera", "ninjaone", "meshcentral", "action1", "tightvnc",
	"ultravnc", "realvnc", "tigervnc", "x11vnc", "xrdp", "windows-rdp", "freerdp",
	"radmin", "nomachine", "parsec", "remote-utilities", "beyondtrust",
	"gotomypc", "kaseya-vsa", "simplehelp", "fleetdeck", "netsupport",
	"dameware", "getscreen",
}

// scamIDs are reported in tech-support scams (docs/signatures.md lists the
// sources); they must carry scam_use: true.
var scamIDs = []string{
	"anydesk", "teamviewer", "logmein-rescue", "screenconnect", "quick-assist",
	"ultraviewer", "supremo", "anyviewer", "rustdesk", "splashtop", "zoho-assist",
	"aeroadmin", "ammyy-admin", "remotepc", "isl-light", "hoptodesk", "awesun",
	"todesk", "goto-resolve", "netsupport", "simplehelp",
}

func builtin(t *testing.T) *signature.Set {
	t.Helper()
	set, err := signature.Builtin(signature.Options{})
	if err != nil {
		t.Fatalf("builtin signatures: %v", err)
	}
	return set
}

func TestBuiltinSet(t *testing.T) {
	set := builtin(t)
	if n := len(set.Signatures); n < 45 {
		t.Errorf("builtin set has %d signatures, want at least 45", n)
	}
	for _, id := range requiredIDs {
		if set.Get(id) == nil {
			t.Errorf("builtin set lacks signature %q", id)
		}
	}
	for _, id := range scamIDs {
		if s := set.Get(id); s != nil && !s.ScamUse {
			t.Errorf("%s: scam_use should be true", id)
		}
	}
	for _, s := range set.Signatures {
		if got, want := filepath.Base(s.File), s.ID+".yaml"; got != want {
			t.Errorf("signature %q is in %s, want %s", s.ID, got, want)
		}
		if s.Description == "" || len(s.References) == 0 {
			t.Errorf("%s: needs a description and at least one reference", s.ID)
		}
	}
	if set.Version == "" {
		t.Error("set has no version")
	}
}

// The on-disk directory (what `ratwatch signatures validate signatures/`
// reads) must give the same set as the embedded copy.
func TestBuiltinMatchesDirectory(t *testing.T) {
	set := builtin(t)
	dir, err := signature.LoadPaths([]string{"../../signatures"}, signature.Options{})
	if err != nil {
		t.Fatalf("load signatures/: %v", err)
	}
	var a, b []string
	for _, s := range set.Signatures {
		a = append(a, s.ID)
	}
	for _, s := range dir.Signatures {
		b = append(b, s.ID)
	}
	if !slices.Equal(a, b) {
		t.Errorf("embedded ids %v differ from directory ids %v", a, b)
	}
}

// docs/signatures.md carries a table of every tool; keep it in sync.
func TestDocsListEverySignature(t *testing.T) {
	b, err := os.ReadFile("../../docs/signatures.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	k := strings.Index(doc, "\n## The tools")
	if k < 0 {
		t.Fatal(`docs/signatures.md lacks the "## The tools" section`)
	}
	doc = doc[k:]
	for _, s := range builtin(t).Signatures {
		scam := "no"
		if s.ScamUse {
			scam = "yes"
		}
		row := fmt.Sprintf("| `%s` | ", s.ID)
		i := strings.Index(doc, row)
		if i < 0 {
			t.Errorf("docs/signatures.md has no table row for %s", s.ID)
			continue
		}
		line := doc[i:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if !strings.Contains(line, " | "+s.Category+" | "+scam+" | ") {
			t.Errorf("docs row for %s should say category %s, scam_use %s: %s", s.ID, s.Category, scam, line)
		}
		var parsers []string
		unparsed := "—"
		for _, l := range s.Logs {
			if l.Unparsed {
				unparsed = "yes"
			} else if !slices.Contains(parsers, l.Parser) {
				parsers = append(parsers, l.Parser)
			}
		}
		logs := strings.Join(parsers, ", ")
		if logs == "" {
			logs = "—"
		}
		if !strings.HasSuffix(line, " | "+logs+" | "+unparsed+" |") {
			t.Errorf("docs row for %s should end with its parsers (%s) and unparsed logs (%s): %s", s.ID, logs, unparsed, line)
		}
	}
}
