package encode

import (
	"bufio"
	"bytes"
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ratwatch/ratwatch/pkg/report"
)

// streamIndented writes r byte for byte as json.Encoder with
// SetIndent("", "  ") and SetEscapeHTML(false) does, without ever holding
// the whole document in memory.
//
// json.Encoder marshals the whole value into one buffer before writing it.
// The report of a 1 GB synthetic capture is 15 MB of JSON: growing that
// buffer (and the garbage collections it forced under the CLI's memory
// limit) was most of the time `ratwatch pcap` spent after the analysis.
// Here the report and its findings are walked field by field and their
// slices element by element; every other value (a session record, an
// evidence item, a string) is marshalled on its own by encoding/json and
// indented in place. TestStreamMatchesEncodingJSON and FuzzStream hold the
// output to encoding/json's bytes.
func streamIndented(w io.Writer, r *report.Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	s := streamer{w: bw}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	if err := s.value(reflect.ValueOf(r), 0); err != nil {
		return err
	}
	_ = bw.WriteByte('\n') // json.Encoder ends every value with a newline
	return bw.Flush()
}

type streamer struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

// walked are the structs written field by field: the ones that hold the
// long lists. Every other value (a match, a timeline event) is small and
// cheaper to marshal whole than member by member.
var walked = map[reflect.Type]bool{reflect.TypeFor[report.Report](): true, reflect.TypeFor[report.Finding](): true}

// value writes v, which sits depth levels deep.
func (s *streamer) value(v reflect.Value, depth int) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			_, _ = s.w.WriteString("null")
			return nil
		}
		if walkable(v.Type().Elem()) != nil {
			return s.object(v.Elem(), depth)
		}
	case reflect.Struct:
		if walkable(v.Type()) != nil {
			return s.object(v, depth)
		}
	case reflect.Slice:
		// Slices of structs are written element by element: each element
		// is walked or marshalled on its own. Other slices are one leaf.
		if k := v.Type().Elem().Kind(); (k == reflect.Struct || k == reflect.Pointer) && !marshals(v.Type()) {
			return s.array(v, depth)
		}
	}
	return s.leaf(v, depth)
}

// array writes a slice of structs (or pointers) one element at a time.
func (s *streamer) array(v reflect.Value, depth int) error {
	if v.IsNil() {
		_, _ = s.w.WriteString("null")
		return nil
	}
	if v.Len() == 0 {
		_, _ = s.w.WriteString("[]")
		return nil
	}
	if e := v.Type().Elem(); v.Len() >= 2*leafChunk && runtime.GOMAXPROCS(0) > 1 && e.Kind() == reflect.Struct && walkable(e) == nil {
		return s.parallelLeaves(v, depth)
	}
	_ = s.w.WriteByte('[')
	for i := range v.Len() {
		if i > 0 {
			_ = s.w.WriteByte(',')
		}
		s.newline(depth + 1)
		if err := s.value(v.Index(i), depth+1); err != nil {
			return err
		}
	}
	s.newline(depth)
	_ = s.w.WriteByte(']')
	return nil
}

// object writes a walkable struct field by field.
func (s *streamer) object(v reflect.Value, depth int) error {
	n := 0
	for _, f := range walkable(v.Type()) {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyValue(fv) {
			continue
		}
		if n == 0 {
			_ = s.w.WriteByte('{')
		} else {
			_ = s.w.WriteByte(',')
		}
		n++
		s.newline(depth + 1)
		_, _ = s.w.WriteString(f.key)
		if err := s.value(fv, depth+1); err != nil {
			return err
		}
	}
	if n == 0 {
		_, _ = s.w.WriteString("{}")
		return nil
	}
	s.newline(depth)
	_ = s.w.WriteByte('}')
	return nil
}

// leafChunk elements of a long slice are marshalled together by one
// worker of parallelLeaves.
const leafChunk = 32

// parallelLeaves writes a long slice of leaf structs (a capture's thousand
// session records) the way array does, but marshals chunks of it on every
// core while this goroutine writes the finished chunks in order. At most
// two chunks per worker are in flight, so memory stays bounded.
func (s *streamer) parallelLeaves(v reflect.Value, depth int) error {
	n := v.Len()
	chunks := (n + leafChunk - 1) / leafChunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	type result struct {
		b   *bytes.Buffer
		err error
	}
	results := make([]chan result, chunks)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	free := make(chan *bytes.Buffer, 2*workers) // a buffer is a chunk in flight
	for range cap(free) {
		free <- new(bytes.Buffer)
	}
	done := make(chan struct{})
	defer close(done)
	var next atomic.Int64
	for range workers {
		go func() {
			ws := streamer{}
			ws.enc = json.NewEncoder(&ws.buf)
			ws.enc.SetEscapeHTML(false)
			for {
				var out *bytes.Buffer
				select {
				case out = <-free:
				case <-done:
					return
				}
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				out.Reset()
				if ws.w == nil {
					ws.w = bufio.NewWriterSize(out, 16<<10)
				} else {
					ws.w.Reset(out)
				}
				var err error
				for i := c * leafChunk; i < min(n, (c+1)*leafChunk) && err == nil; i++ {
					if i > 0 {
						_ = ws.w.WriteByte(',')
					}
					ws.newline(depth + 1)
					err = ws.leaf(v.Index(i), depth+1)
				}
				_ = ws.w.Flush()
				results[c] <- result{out, err} // buffered: never blocks
			}
		}()
	}
	_ = s.w.WriteByte('[')
	for c := range chunks {
		r := <-results[c]
		if r.err != nil {
			return r.err
		}
		_, _ = s.w.Write(r.b.Bytes())
		free <- r.b
	}
	s.newline(depth)
	_ = s.w.WriteByte(']')
	return nil
}

// leaf marshals v with encoding/json and indents it at depth.
func (s *streamer) leaf(v reflect.Value, depth int) error {
	s.buf.Reset()
	var x any
	if v.CanAddr() {
		x = v.Addr().Interface() // as json.Marshal sees it: addressable, no copy
	} else {
		x = v.Interface()
	}
	if err := s.enc.Encode(x); err != nil {
		return err
	}
	b := s.buf.Bytes()
	indentCompact(s.w, b[:len(b)-1], depth) // without Encode's newline
	return nil
}

func (s *streamer) newline(depth int) { newline(s.w, depth) }

// field is one JSON member of a walkable struct.
type field struct {
	index     int
	key       string // `"name": `
	omitEmpty bool
}

var walkCache sync.Map // reflect.Type → []field (nil: not walkable)

// walkable returns the members of t when t is one of the walked structs
// and uses only the tag forms handled here (a name and omitempty);
// otherwise nil, and the value is marshalled whole by encoding/json.
func walkable(t reflect.Type) []field {
	if c, ok := walkCache.Load(t); ok {
		return c.([]field)
	}
	fs := fieldsOf(t)
	walkCache.Store(t, fs)
	return fs
}

func fieldsOf(t reflect.Type) []field {
	if !walked[t] || marshals(t) {
		return nil
	}
	fs := []field{}
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil // embedded fields follow rules not copied here
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if !plainName(name) || (opts != "" && opts != "omitempty") || seen[name] {
			return nil // (encoding/json drops duplicate names)
		}
		seen[name] = true
		fs = append(fs, field{index: i, key: `"` + name + `": `, omitEmpty: opts == "omitempty"})
	}
	return fs
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether t has its own JSON or text form.
func marshals(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || p.Implements(jsonMarshaler) || t.Implements(textMarshaler) || p.Implements(textMarshaler)
}

// plainName: a key that needs no escaping and that encoding/json accepts.
func plainName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
