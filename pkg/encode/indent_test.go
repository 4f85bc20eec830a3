package encode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// stdIndent is what the json package itself writes.
func stdIndent(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeIndented marshals v with encoding/json and indents it with
// indentCompact (the streamed report does the same per value).
func writeIndented(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	indentCompact(bw, buf.Bytes(), 0)
	return bw.Flush()
}

func checkIndent(t testing.TB, v any) {
	t.Helper()
	var got bytes.Buffer
	if err := writeIndented(&got, v); err != nil {
		t.Fatal(err)
	}
	if want := stdIndent(t, v); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("indented output differs from encoding/json:\n got %q\nwant %q", got.Bytes(), want)
	}
}

// TestIndentMatchesEncodingJSON: the fast indenter writes exactly the bytes
// of json.Encoder.SetIndent on tricky values and on every JSON file in the
// repository's testdata and docs (reports, schemas, fixtures).
func TestIndentMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		nil, true, 1.5, "", `a"b\c`, `\`, "{[,:]}", "<&>", "\u2028 é \x01",
		[]any{}, map[string]any{}, []any{[]any{}, map[string]any{}, nil},
		map[string]any{"a": []any{1, "x,y", map[string]any{"k:": `"}`}}, "b": map[string]any{}},
		[]any{-0.0, 1e21, 123456789, false},
	} {
		checkIndent(t, v)
	}
	// Deeper than the precomputed indentation, with escapes at the bottom.
	var deep any = map[string]any{"k": `\"x\\`}
	for range 40 {
		deep = []any{deep, 1}
	}
	checkIndent(t, deep)
	var files []string
	for _, root := range []string{"../../docs", "../../pkg", "../../cmd", "../../signatures"} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 3 {
		t.Fatalf("only %d JSON files found", len(files))
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			continue
		}
		checkIndent(t, v)
	}
}

// FuzzIndent: any JSON document indents exactly as encoding/json does.
func FuzzIndent(f *testing.F) {
	f.Add([]byte(`{"a":[1,"x\"y",{}],"b":{"c":null}}`))
	f.Add([]byte(`["\\",[],{"":""}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		checkIndent(t, v)
	})
}
