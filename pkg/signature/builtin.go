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

// Builtin returns the embedded signature set, loaded and compiled once per
// kind of options (with or without parser checks and examples).
func Builtin(opt Options) (*Set, error) {
	k := builtinKey{opt.ParserExists != nil, opt.SkipExamples}
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if r, ok := builtinCache[k]; ok {
		return r.set, r.err
	}
	set, err := LoadFS(signatures.FS, "signatures", opt)
	builtinCache[k] = builtinResult{set, err}
	return set, err
}
