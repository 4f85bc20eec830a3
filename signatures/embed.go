// Package signatures embeds the built-in signature files (one YAML file per
// tool; format in docs/signatures.md).
package signatures

import "embed"

// FS holds every built-in signature file.
//
//go:embed *.yaml
var FS embed.FS
