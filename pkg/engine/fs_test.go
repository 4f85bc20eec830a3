package engine

import (
	"io/fs"

	"github.com/ratwatch/ratwatch/signatures"
)

func signatureFS() fs.FS { return signatures.FS }
