package signature

import (
	"regexp"
	"strings"
)

// wildcard is a compiled case-insensitive pattern with * and ? wildcards.
type wildcard struct {
	src string
	re  *regexp.Regexp
}

// compileWildcard turns an author's pattern into an anchored regexp. Path
// separators are normalised so one pattern serves / and \ paths.
func compileWildcard(p string) wildcard {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range normSep(p) {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return wildcard{src: p, re: regexp.MustCompile(b.String())}
}

func (w wildcard) match(v string) bool { return w.re.MatchString(normSep(v)) }

func normSep(s string) string { return strings.ReplaceAll(s, `\`, "/") }

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
	v = strings.Trim(v, " \t\r\n\x00")
	if v == "" {
		return "", false
	}
	for _, w := range ws {
		if w.match(v) {
			return w.src, true
		}
	}
	return "", false
}
