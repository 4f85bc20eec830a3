package signature

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// The built-in set ships twice: as YAML (the source, validated with every
// example by tests and `signatures validate`) and as signatures/builtin.json,
// generated from it (`go generate ./signatures`) because decoding YAML costs
// more at start-up than a whole scan's process listing. TestBuiltinCacheFresh
// fails when the two differ.

type cacheDoc struct {
	Version    string       `json:"version"`
	Signatures []*Signature `json:"signatures"`
}

// CacheJSON renders a validated set in the cache form (without examples,
// which only the YAML needs).
func CacheJSON(set *Set) ([]byte, error) {
	doc := cacheDoc{Version: set.Version}
	for _, s := range set.Signatures {
		c := *s
		c.Examples = Examples{}
		doc.Signatures = append(doc.Signatures, &c)
	}
	sort.Slice(doc.Signatures, func(i, j int) bool { return doc.Signatures[i].ID < doc.Signatures[j].ID })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// loadCache builds a set from the cache form, checking log parsers when asked.
func loadCache(data []byte, opt Options) (*Set, error) {
	var doc cacheDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("signatures/builtin.json: %w", err)
	}
	set := &Set{Version: doc.Version, byID: map[string]*Signature{}}
	var errs Errors
	for _, s := range doc.Signatures {
		if opt.ParserExists != nil {
			for _, l := range s.Logs {
				if !l.Unparsed && !opt.ParserExists(l.Parser) {
					errs = append(errs, Error{s.File, s.Line, fmt.Sprintf("unknown parser %q", l.Parser)})
				}
			}
		}
		s.compile()
		set.byID[s.ID] = s
		set.Signatures = append(set.Signatures, s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}
