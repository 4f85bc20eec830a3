package encode

import (
	"io"

	"github.com/ratwatch/ratwatch/pkg/report"
)

// JSON writes the full evidence document (docs/schema/report.schema.json).
type JSON struct{}

func (JSON) Name() string { return "json" }

func (JSON) Encode(w io.Writer, r *report.Report) error {
	return streamIndented(w, r)
}
