package signature_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/signature"
)

// tail is a valid rest of a signature (from its "process:" key on) so each
// bad file has exactly the one problem under test.
const tail = `process:
  names:
    linux: [badtool]
examples:
  true_positives:
    - process: {os: linux, name: badtool}
  false_positives:
    - process: {os: linux, name: goodtool}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadErrors loads dir and returns the located errors.
func loadErrors(t *testing.T, dir string) signature.Errors {
	t.Helper()
	set, err := signature.LoadPaths([]string{dir}, signature.Options{})
	if err == nil {
		t.Fatalf("loading %s succeeded (%d signatures), want an error", dir, len(set.Signatures))
	}
	var errs signature.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T) is not signature.Errors", err, err)
	}
	return errs
}

func TestLoaderErrorsCarryFileAndLine(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		// want: file:line prefix (file relative to the temp dir) and a
		// fragment of the message.
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{
			name: "unknown field",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
colour: red
` + tail},
			wantFile: "bad.yaml", wantLine: 5, wantMsg: "field colour not found",
		},
		{
			name: "bad regex in process.cmdline",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
process:
  names:
    linux: [badtool]
  cmdline:
    - 'badtool\s+--ok'
    - '(unclosed'
examples:
  true_positives:
    - process: {os: linux, name: badtool}
  false_positives:
    - process: {os: linux, name: goodtool}
`},
			wantFile: "bad.yaml", wantLine: 10, wantMsg: `bad regex "(unclosed"`,
		},
		{
			name: "duplicate id across two files",
			files: map[string]string{
				"a.yaml": "id: dup\nname: A\nvendor: V\ncategory: vnc\n" + tail,
				"b.yaml": "# second definition\n\nid: dup\nname: B\nvendor: V\ncategory: vnc\n" + tail,
			},
			wantFile: "b.yaml", wantLine: 3, wantMsg: `duplicate id "dup" (first defined at `,
		},
		{
			name: "missing required name",
			files: map[string]string{"bad.yaml": `# a tool
id: bad
vendor: V
category: vnc
` + tail},
			wantFile: "bad.yaml", wantLine: 2, wantMsg: `missing required field "name"`,
		},
		{
			name: "duplicate key",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
name: Worse
` + tail},
			wantFile: "bad.yaml", wantLine: 5, wantMsg: "already defined",
		},
		{
			name: "bad category",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V

category: remote-access
` + tail},
			wantFile: "bad.yaml", wantLine: 5, wantMsg: `unknown category "remote-access"`,
		},
		{
			name: "bad port role",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
network:
  ports:
    - {port: 5900, proto: tcp, role: listen}
    - {port: 5901, proto: tcp, role: server}
` + tail},
			wantFile: "bad.yaml", wantLine: 8, wantMsg: `role must be relay, direct or listen, not "server"`,
		},
		{
			name: "unknown placeholder in a log path",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
logs:
  - parser: x11vnc
    paths:
      windows:
        - "{programdata}/Bad/ok.log"
        - "{userprofile}/Bad/bad.log"
` + tail},
			wantFile: "bad.yaml", wantLine: 10, wantMsg: "unknown placeholder {userprofile}",
		},
		{
			name: "unparsed log that also names a parser",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
logs:
  - parser: x11vnc
    unparsed: true
    paths:
      windows: ["{programdata}/Bad/bad.log"]
` + tail},
			wantFile: "bad.yaml", wantLine: 6, wantMsg: "either unparsed or names a parser",
		},
		{
			name: "unparsed log without paths",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
logs:
  - unparsed: true
    note: found by nothing
` + tail},
			wantFile: "bad.yaml", wantLine: 6, wantMsg: "an unparsed log entry needs paths",
		},
		{
			name: "log entry with neither parser nor unparsed",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
logs:
  - paths:
      windows: ["{programdata}/Bad/bad.log"]
` + tail},
			wantFile: "bad.yaml", wantLine: 6, wantMsg: "log entry needs a parser (or unparsed: true)",
		},
		{
			name: "windows placeholder in a linux path",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
paths:
  config:
    linux: ["{home}/.bad", "{programdata}/bad"]
` + tail},
			wantFile: "bad.yaml", wantLine: 7, wantMsg: "placeholder {programdata} is Windows-only",
		},
		{
			name: "placeholder in process.paths",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
process:
  names:
    linux: [badtool]
  paths:
    windows:
      - '{programfiles}\Bad\bad.exe'
examples:
  true_positives:
    - process: {os: linux, name: badtool}
  false_positives:
    - process: {os: linux, name: goodtool}
`},
			wantFile: "bad.yaml", wantLine: 10, wantMsg: "placeholders",
		},
		{
			name: "pattern that matches everything",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
signers: [Bad Ltd, "*"]
` + tail},
			wantFile: "bad.yaml", wantLine: 5, wantMsg: `pattern "*" would match everything`,
		},
		{
			name: "true positive that does not match",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
process:
  names:
    linux: [badtool]
examples:
  true_positives:
    - process: {os: linux, name: badtool}
    - process: {os: linux, name: othertool}
  false_positives:
    - process: {os: linux, name: goodtool}
`},
			wantFile: "bad.yaml", wantLine: 11, wantMsg: "true_positives example does not match",
		},
		{
			name: "false positive that matches",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
process:
  names:
    linux: [badtool]
examples:
  true_positives:
    - process: {os: linux, name: badtool}
  false_positives:
    - process: {os: linux, name: BadTool}
`},
			wantFile: "bad.yaml", wantLine: 12, wantMsg: `false_positives example matches (process.names.linux "badtool")`,
		},
		{
			name: "service example without a valid os",
			files: map[string]string{"bad.yaml": `id: bad
name: Bad
vendor: V
category: vnc
services:
  linux: [bad.service]
examples:
  true_positives:
    - service: {os: linux, name: bad.service}
  false_positives:
    - service: {os: win, name: good}
`},
			wantFile: "bad.yaml", wantLine: 11, wantMsg: "service example needs os",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			errs := loadErrors(t, dir)
			wantFile := filepath.Join(dir, c.wantFile)
			var found bool
			for _, e := range errs {
				if e.File == wantFile && e.Line == c.wantLine && strings.Contains(e.Msg, c.wantMsg) {
					found = true
					prefix := wantFile + ":" + strconv.Itoa(c.wantLine) + ": "
					if !strings.HasPrefix(e.Error(), prefix) {
						t.Errorf("error text %q does not start with %q", e.Error(), prefix)
					}
				}
			}
			if !found {
				t.Errorf("want %s:%d: …%s…; got:\n%v", c.wantFile, c.wantLine, c.wantMsg, errs)
			}
			if len(errs) != 1 {
				t.Errorf("want exactly one error, got %d:\n%v", len(errs), errs)
			}
		})
	}
}

// All problems of all files are reported at once.
func TestLoaderReportsEveryFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"one.yaml": "id: one\nname: One\nvendor: V\ncategory: nope\n" + tail,
		"two.yaml": "id: two\nname: Two\nvendor: V\ncategory: vnc\nextra: 1\n" + tail,
		"ok.yaml":  "id: ok\nname: OK\nvendor: V\ncategory: vnc\n" + tail,
	})
	errs := loadErrors(t, dir)
	text := errs.Error()
	for _, want := range []string{filepath.Join(dir, "one.yaml") + ":4:", filepath.Join(dir, "two.yaml") + ":5:"} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
}
