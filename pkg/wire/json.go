package wire

import (
	"bufio"
	"encoding/json"
	"io"
)

// WriteJSON writes the report as one JSON object, the same as
// json.Marshal(r), but streams Flows and Records element by element so a
// report with many flows does not need its whole encoding in memory.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64*1024)
	var err error
	put := func(s string) {
		if err == nil {
			_, err = bw.WriteString(s)
		}
	}
	val := func(v any) {
		if err != nil {
			return
		}
		var b []byte
		if b, err = json.Marshal(v); err == nil {
			_, err = bw.Write(b)
		}
	}
	field := func(first bool, key string, v any) {
		if !first {
			put(",")
		}
		put(`"` + key + `":`)
		val(v)
	}
	put("{")
	field(true, "name", r.Name)
	if r.Format != "" {
		field(false, "format", r.Format)
	}
	if !r.First.IsZero() {
		field(false, "first", r.First)
	}
	if !r.Last.IsZero() {
		field(false, "last", r.Last)
	}
	field(false, "stats", r.Stats)
	if len(r.Local) > 0 {
		field(false, "local", r.Local)
	}
	if r.LocalBy != "" {
		field(false, "local_by", r.LocalBy)
	}
	put(`,"flows":[`)
	for i, f := range r.Flows {
		if i > 0 {
			put(",")
		}
		val(f)
	}
	put("]")
	if len(r.Names) > 0 {
		field(false, "names", r.Names)
	}
	field(false, "tools", r.Tools)
	put(`,"records":[`)
	for i := range r.Records {
		if i > 0 {
			put(",")
		}
		val(&r.Records[i])
	}
	put("]")
	if len(r.Warnings) > 0 {
		field(false, "warnings", r.Warnings)
	}
	if r.Error != "" {
		field(false, "error", r.Error)
	}
	put("}\n")
	if err != nil {
		return err
	}
	return bw.Flush()
}
