package signature

import (
	"sync"

	"github.com/ratwatch/ratwatch/signatures"
)

type builtinKey struct{ parsers, skipExamples bool }

type builtinResult struct {
	set *Set
	err error
}

var (
	builtinMu    sync.Mutex
	builtinCache = map[builtinKey]builtinResult{}
)

// Builtin returns the embedded signature set, loaded once per kind of options.
// With SkipExamples (a scan) it comes from the generated builtin.json; else it
// is parsed and validated from the YAML, examples included.
func Builtin(opt Options) (*Set, error) {
	k := builtinKey{opt.ParserExists != nil, opt.SkipExamples}
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if r, ok := builtinCache[k]; ok {
		return r.set, r.err
	}
	var set *Set
	var err error
	if opt.SkipExamples && len(signatures.Cache) > 0 {
		set, err = loadCache(signatures.Cache, opt)
	} else {
		set, err = LoadFS(signatures.FS, "signatures", opt)
	}
	builtinCache[k] = builtinResult{set, err}
	return set, err
}
