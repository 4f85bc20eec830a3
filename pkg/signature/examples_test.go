package signature_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
)

// The loader already runs every example; this repeats the check through the
// public API so a regression in the loader's own check cannot hide one.
func TestExamplesBehave(t *testing.T) {
	for _, s := range builtin(t).Signatures {
		for i, ex := range s.Examples.TruePositives {
			hits, err := s.MatchExample(ex)
			if err != nil {
				t.Errorf("%s true_positives[%d]: %v", s.ID, i, err)
			} else if len(hits) == 0 {
				t.Errorf("%s true_positives[%d] (%s) does not match", s.ID, i, describe(ex))
			}
		}
		for i, ex := range s.Examples.FalsePositives {
			hits, err := s.MatchExample(ex)
			if err != nil {
				t.Errorf("%s false_positives[%d]: %v", s.ID, i, err)
			} else if len(hits) > 0 {
				t.Errorf("%s false_positives[%d] (%s) matches %s %q", s.ID, i, describe(ex), hits[0].Rule, hits[0].Pattern)
			}
		}
	}
}

// Every kind of fact a signature declares has a true-positive example that
// exercises it: process facts per OS (and client / session-process flags),
// each software manager, services per OS, domains, PE data and signers.
func TestExamplesCoverDeclaredFacts(t *testing.T) {
	for _, s := range builtin(t).Signatures {
		have := map[string]bool{}
		for _, ex := range s.Examples.TruePositives {
			switch {
			case ex.Process != nil:
				p := ex.Process
				have["process."+p.OS] = true
				m := s.MatchProcess(p.OS, p.Name, p.Exe, p.Cmdline)
				if m.Client {
					have["client"] = true
				}
				if m.SessionProcess {
					have["session"] = true
				}
			case ex.Software != nil:
				have["software."+ex.Software.Manager] = true
			case ex.Service != nil:
				have["service."+ex.Service.OS] = true
			case ex.Domain != "":
				have["domain"] = true
			case ex.PE != nil:
				have["pe"] = true
			case ex.Signer != "":
				have["signer"] = true
			}
		}
		var want []string
		for _, os := range signature.OSes {
			if len(s.Process.Names.For(os))+len(s.Process.ClientNames.For(os))+len(s.Process.Paths.For(os)) > 0 {
				want = append(want, "process."+os)
			}
			if len(s.Services.For(os)) > 0 {
				want = append(want, "service."+os)
			}
		}
		if len(s.Process.ClientNames.Linux)+len(s.Process.ClientNames.Windows)+len(s.Process.ClientNames.Darwin) > 0 {
			want = append(want, "client")
		}
		if len(s.Process.SessionCmdline) > 0 {
			want = append(want, "session")
		}
		for mgr, list := range map[string][]string{
			"windows-uninstall": s.Software.Windows, "msix": s.Software.MSIX, "dpkg": s.Software.Dpkg,
			"rpm": s.Software.RPM, "macos-bundle": s.Software.Darwin,
		} {
			if len(list) > 0 {
				want = append(want, "software."+mgr)
			}
		}
		if len(s.Network.Domains) > 0 {
			want = append(want, "domain")
		}
		if len(s.PE.OriginalFilename)+len(s.PE.ProductName) > 0 {
			want = append(want, "pe")
		}
		if len(s.Signers) > 0 {
			want = append(want, "signer")
		}
		for _, w := range want {
			if !have[w] {
				t.Errorf("%s: no true-positive example for %s", s.ID, w)
			}
		}
	}
}

func describe(ex signature.Example) string {
	switch {
	case ex.Process != nil:
		return fmt.Sprintf("process %s %q %q", ex.Process.OS, ex.Process.Name, ex.Process.Exe)
	case ex.Software != nil:
		return fmt.Sprintf("software %s %q%s", ex.Software.Manager, ex.Software.Name, ex.Software.BundleID)
	case ex.Service != nil:
		return fmt.Sprintf("service %s %q", ex.Service.OS, ex.Service.Name)
	case ex.Domain != "":
		return "domain " + ex.Domain
	case ex.PE != nil:
		return fmt.Sprintf("pe %q/%q/%q", ex.PE.OriginalFilename, ex.PE.CompanyName, ex.PE.ProductName)
	case ex.Signer != "":
		return "signer " + ex.Signer
	}
	return "empty example"
}

// Signers and PE companies shared by unrelated software (the OS vendor, the
// browser vendor…) must never be a signer: a signer hit alone attributes a
// binary to the tool.
func TestNoGenericSigners(t *testing.T) {
	generic := []string{
		"Microsoft Corporation",
		"CN=Microsoft Windows, O=Microsoft Corporation, L=Redmond, S=Washington, C=US",
		"Microsoft Windows Publisher",
		"Google LLC", "Google Inc", "Apple Inc.", "Developer ID Application: Google LLC (EQHXZ8M8AV)",
		"Oracle America, Inc.", "Mozilla Corporation", "Adobe Inc.", "Intel Corporation",
		"NVIDIA Corporation", "Advanced Micro Devices, Inc.", "Dell Inc", "HP Inc.", "Lenovo",
		"Famatech Corp.", "AOMEI International Network Limited", "IDrive, Inc.",
		"ZOHO Corporation Private Limited", "LogMeIn, Inc.", "GoTo Technologies USA, LLC",
		"SolarWinds Worldwide, LLC", "Unity Technologies SF", "Enter Srl", "BeyondTrust Corporation",
	}
	for _, s := range builtin(t).Signatures {
		for _, g := range generic {
			if hits := s.MatchSigner(g); len(hits) > 0 {
				t.Errorf("%s: signer pattern %q matches the shared signer %q", s.ID, hits[0].Pattern, g)
			}
		}
	}
}

// A YAML flow list splits "LogMeIn, Inc." into "LogMeIn" and "Inc." unless it
// is quoted; a bare legal suffix as a pattern is always such a mistake.
func TestNoBareLegalSuffixPatterns(t *testing.T) {
	suffixes := []string{"inc", "inc.", "llc", "ltd", "ltd.", "gmbh", "co.", "corp.", "s.r.l.", "limited", "sa", "ag", "b.v."}
	for _, s := range builtin(t).Signatures {
		lists := map[string][]string{"signers": s.Signers, "pe.company_name": s.PE.CompanyName, "pe.product_name": s.PE.ProductName}
		for name, list := range lists {
			for _, p := range list {
				for _, suf := range suffixes {
					if strings.EqualFold(strings.TrimSpace(p), suf) {
						t.Errorf("%s: %s has the bare pattern %q (unquoted comma in a flow list?)", s.ID, name, p)
					}
				}
			}
		}
	}
}
