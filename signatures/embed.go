// Package signatures embeds the built-in signature files (one YAML file per
// tool; format in docs/signatures.md) and their generated JSON form.
package signatures

import "embed"

// FS holds every built-in signature file.
//
//go:embed *.yaml
var FS embed.FS

// Cache is builtin.json: the validated set in a form that loads fast,
// generated from the YAML files. Regenerate after editing them.
//
//go:generate go run ../internal/cmd/sigcache
//go:embed builtin.json
var Cache []byte
