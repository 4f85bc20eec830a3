package signature

import (
	"strings"
	"unicode/utf8"
)

// wildcard is a case-insensitive pattern with * (any run of characters,
// separators included) and ? (one character). Matching is a plain glob walk,
// not a regexp: the whole set compiles in microseconds at start-up.
type wildcard struct {
	src  string
	norm string // lower-cased, \ → /
}

// compileWildcard normalises an author's pattern; path separators are unified
// so one pattern serves / and \ paths.
func compileWildcard(p string) wildcard { return wildcard{src: p, norm: fold(p)} }

func (w wildcard) match(v string) bool { return glob(w.norm, fold(v)) }

func fold(s string) string { return strings.ToLower(normSep(s)) }

func normSep(s string) string { return strings.ReplaceAll(s, `\`, "/") }

// glob matches name against pattern (both already folded). Classic linear
// backtracking over the last star: O(len(p)·len(n)) worst case, no allocation.
func glob(p, n string) bool {
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			if p[pi] == '?' {
				// ? is one character, not one byte.
				_, size := utf8.DecodeRuneInString(n[ni:])
				ni += size
			} else {
				ni++
			}
			pi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func compileAll(ps []string) []wildcard {
	out := make([]wildcard, 0, len(ps))
	for _, p := range ps {
		out = append(out, compileWildcard(p))
	}
	return out
}

// firstMatch returns the first pattern matching v. Surrounding white space
// and NUL padding (common in PE version strings) are ignored.
func firstMatch(ws []wildcard, v string) (string, bool) {
	if len(ws) == 0 {
		return "", false // most signatures have no pattern of a given kind
	}
	v = strings.Trim(v, " \t\r\n\x00")
	if v == "" {
		return "", false
	}
	f := fold(v)
	for _, w := range ws {
		if glob(w.norm, f) {
			return w.src, true
		}
	}
	return "", false
}
