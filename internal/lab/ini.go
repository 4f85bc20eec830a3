package lab

import (
	"strings"
)

// setINI sets key=value in [section] of an ini text (xrdp's format): it
// replaces the first active "key=" line of the section, or appends the line
// at the end of the section (creating the section if needed).
func setINI(text, section, key, value string) string {
	lines := strings.Split(text, "\n")
	inSection := false
	insertAt := -1
	for i, line := range lines {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "[") && strings.HasSuffix(trim, "]") {
			if inSection {
				insertAt = i
				break
			}
			inSection = strings.EqualFold(trim[1:len(trim)-1], section)
			continue
		}
		if !inSection {
			continue
		}
		if k, _, ok := strings.Cut(trim, "="); ok && strings.EqualFold(strings.TrimSpace(k), key) {
			lines[i] = key + "=" + value
			return strings.Join(lines, "\n")
		}
	}
	newLine := key + "=" + value
	if !inSection && insertAt < 0 {
		// Section missing.
		return strings.TrimRight(text, "\n") + "\n\n[" + section + "]\n" + newLine + "\n"
	}
	if insertAt < 0 {
		insertAt = len(lines)
		// Keep a trailing empty line at the end.
		for insertAt > 0 && strings.TrimSpace(lines[insertAt-1]) == "" {
			insertAt--
		}
	} else {
		// Before the blank/comment lines that precede the next section.
		for insertAt > 0 && (strings.TrimSpace(lines[insertAt-1]) == "" || strings.HasPrefix(strings.TrimSpace(lines[insertAt-1]), ";")) {
			insertAt--
		}
	}
	out := make([]string, 0, len(lines)+1)
	out = append(out, lines[:insertAt]...)
	out = append(out, newLine)
	out = append(out, lines[insertAt:]...)
	return strings.Join(out, "\n")
}

// getINI returns the value of the first active key= line in [section].
func getINI(text, section, key string) (string, bool) {
	inSection := false
	for _, line := range strings.Split(text, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "[") && strings.HasSuffix(trim, "]") {
			inSection = strings.EqualFold(trim[1:len(trim)-1], section)
			continue
		}
		if !inSection {
			continue
		}
		if k, v, ok := strings.Cut(trim, "="); ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
