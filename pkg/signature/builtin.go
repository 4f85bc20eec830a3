package signature

import (
	"sync"

	"github.com/ratwatch/ratwatch/signatures"
)

var (
	builtinOnce sync.Once
	builtinSet  *Set
	builtinErr  error
)

// Builtin returns the embedded signature set, loaded and compiled once.
func Builtin(opt Options) (*Set, error) {
	builtinOnce.Do(func() { builtinSet, builtinErr = LoadFS(signatures.FS, "signatures", opt) })
	return builtinSet, builtinErr
}
