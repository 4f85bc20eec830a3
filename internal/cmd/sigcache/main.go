// Command sigcache regenerates signatures/builtin.json from the YAML files
// (run by `go generate ./signatures` from the signatures folder).
package main

import (
	"fmt"
	"os"

	"github.com/ratwatch/ratwatch/pkg/sessionlog/parsers"
	"github.com/ratwatch/ratwatch/pkg/signature"
)

func main() {
	set, err := signature.LoadFS(os.DirFS("."), "signatures", signature.Options{ParserExists: parsers.Exists})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sigcache:", err)
		os.Exit(1)
	}
	b, err := signature.CacheJSON(set)
	if err == nil {
		err = os.WriteFile("builtin.json", b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sigcache:", err)
		os.Exit(1)
	}
	fmt.Printf("sigcache: %d signatures, set %s\n", len(set.Signatures), set.Version)
}
