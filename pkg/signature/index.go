package signature

import (
	"strings"
	"sync"
)

// softwareIndex finds the signatures a package could match without trying
// all of them: exact names are looked up, only wildcard patterns are scanned.
type softwareIndex struct {
	exact    map[string]map[string][]*Signature // manager → folded name → signatures
	wildcard map[string][]*Signature            // manager → signatures with a wildcard
}

var indexMu sync.Mutex

func (set *Set) swIndex() *softwareIndex {
	indexMu.Lock()
	defer indexMu.Unlock()
	if set.sw != nil {
		return set.sw
	}
	ix := &softwareIndex{exact: map[string]map[string][]*Signature{}, wildcard: map[string][]*Signature{}}
	for _, s := range set.Signatures {
		for manager, ws := range map[string][]wildcard{"dpkg": s.c.swDpkg, "rpm": s.c.swRPM, "windows-uninstall": s.c.swWindows, "msix": s.c.swMSIX, "macos-bundle": s.c.swDarwin} {
			wild := false
			for _, w := range ws {
				if strings.ContainsAny(w.norm, "*?") {
					wild = true
					continue
				}
				if ix.exact[manager] == nil {
					ix.exact[manager] = map[string][]*Signature{}
				}
				ix.exact[manager][w.norm] = appendOnce(ix.exact[manager][w.norm], s)
			}
			if wild {
				ix.wildcard[manager] = appendOnce(ix.wildcard[manager], s)
			}
		}
	}
	set.sw = ix
	return ix
}

func appendOnce(l []*Signature, s *Signature) []*Signature {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

// SoftwareCandidates returns the signatures whose software patterns could
// match a package (call MatchSoftware on each to get the explanation).
func (set *Set) SoftwareCandidates(manager, name, bundleID string) []*Signature {
	ix := set.swIndex()
	v := name
	if manager == "macos-bundle" {
		v = bundleID
	}
	exact := ix.exact[manager][fold(strings.Trim(v, " \t\r\n\x00"))]
	if len(ix.wildcard[manager]) == 0 {
		return exact
	}
	out := append([]*Signature(nil), exact...)
	for _, s := range ix.wildcard[manager] {
		out = appendOnce(out, s)
	}
	return out
}
