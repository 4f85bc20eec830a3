package eventlog

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Velocidex/ordereddict"
	"www.velocidex.com/golang/evtx"
)

const (
	evtxChunkSize      = 0x10000
	evtxChunkHeader    = 0x200
	evtxRecordHeader   = 24
	evtxDefaultHdrSize = 0x1000
	// maxChunkRecords bounds the binary search for the last parsable record.
	maxChunkRecords = 1 << 14
)

var chunkMagic = []byte("ElfChnk\x00")

// readEVTX streams the file chunk by chunk: it holds at most a few 64 KiB
// chunks (plus the library's parse of them) in memory, and needs no Seek.
func (c *collector) readEVTX(r io.Reader) error {
	hdr := make([]byte, 128)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fmt.Errorf("eventlog: EVTX file header: %w", err)
	}
	if !bytes.HasPrefix(hdr, evtxMagic) {
		return ErrNotEventLog
	}
	minor := binary.LittleEndian.Uint16(hdr[0x24:])
	major := binary.LittleEndian.Uint16(hdr[0x26:])
	if major != 3 {
		c.errorf(0, 0x24, fmt.Sprintf("EVTX version %d.%d not known; reading chunks anyway", major, minor))
	}
	hdrSize := int64(binary.LittleEndian.Uint16(hdr[0x28:]))
	if hdrSize < 128 {
		c.errorf(0, 0x28, fmt.Sprintf("EVTX header block size %d invalid; assuming %d", hdrSize, evtxDefaultHdrSize))
		hdrSize = evtxDefaultHdrSize
	}
	if _, err := io.CopyN(io.Discard, r, hdrSize-128); err != nil {
		c.errorf(0, 128, "EVTX file ends inside its header")
		return nil
	}
	c.readChunks(r, hdrSize)
	c.idGaps()
	return nil
}

// idRange is the record ids a chunk holds, in file order.
type idRange struct {
	first, last uint64
	off         int64
}

// idGaps reports record ids missing between chunks: EVTX numbers records
// one after another, so ids that jump ahead mean records lost (a zeroed or
// overwritten chunk, records cut from a chunk). A jump back is the wrap of
// a circular log, not a loss.
func (c *collector) idGaps() {
	for i := 1; i < len(c.ids); i++ {
		a, b := c.ids[i-1], c.ids[i]
		if b.first > a.last+1 && b.first-a.last < 1<<40 {
			c.errorf(0, b.off, fmt.Sprintf("records %d to %d are missing (record ids jump before the chunk at offset %d): lost from this file", a.last+1, b.first-1, b.off))
		}
	}
}

// chunkAt handles one read of a chunk (n bytes, read error err) and reports
// whether the file ends here.
func (c *collector) chunkAt(buf []byte, n int, off int64, err error) (last bool) {
	if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		return true
	}
	if err != nil && err != io.ErrUnexpectedEOF {
		c.errorf(0, off, "read error: "+err.Error())
		return true
	}
	if n < evtxChunkSize {
		// Salvage what a truncated copy still holds: records are
		// self-contained within the chunk, the tail is zero-filled.
		clear(buf[n:])
		if bytes.HasPrefix(buf, chunkMagic) {
			c.errorf(0, off, fmt.Sprintf("truncated chunk (%d of %d bytes); records beyond the end are lost", n, evtxChunkSize))
			c.chunk(buf, off)
		} else if !allZero(buf[:n]) {
			c.errorf(0, off, fmt.Sprintf("%d trailing bytes are not an EVTX chunk", n))
		}
		return true
	}
	c.chunk(buf, off)
	return false
}

// maxChunkWorkers bounds parallel chunk decoding (chunks are independent:
// each has its own string and template tables).
const maxChunkWorkers = 4

type chunkJob struct {
	buf []byte
	n   int
	off int64
	err error
	out chan *collector
}

// readChunks reads chunks from off on. With more than one CPU, chunks are
// decoded in parallel by a few workers and merged back in file order, so the
// result is the same as the sequential read; at most 3 × workers chunks are
// in flight, so memory stays bounded whatever the file size.
func (c *collector) readChunks(r io.Reader, off int64) {
	workers := min(runtime.GOMAXPROCS(0), maxChunkWorkers)
	if workers < 2 {
		buf := make([]byte, evtxChunkSize)
		for ; ; off += evtxChunkSize {
			n, err := io.ReadFull(r, buf)
			if c.chunkAt(buf, n, off, err) {
				return
			}
		}
	}
	pool := sync.Pool{New: func() any { return make([]byte, evtxChunkSize) }}
	jobs := make(chan *chunkJob, workers)
	order := make(chan *chunkJob, 2*workers)
	go func() {
		defer close(order)
		defer close(jobs)
		for ; ; off += evtxChunkSize {
			buf := pool.Get().([]byte)
			n, err := io.ReadFull(r, buf)
			j := &chunkJob{buf: buf, n: n, off: off, err: err, out: make(chan *collector, 1)}
			order <- j
			jobs <- j
			if err != nil {
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				j.out <- c.decodeChunk(j)
			}
		}()
	}
	for j := range order {
		s := <-j.out
		pool.Put(j.buf)
		c.merge(s)
	}
}

// decodeChunk decodes one chunk into a collector of its own.
func (c *collector) decodeChunk(j *chunkJob) (s *collector) {
	s = &collector{path: c.path, timeRule: c.timeRule}
	defer func() {
		if r := recover(); r != nil {
			s.errorf(0, j.off, fmt.Sprintf("chunk skipped: %v", r))
		}
	}()
	s.chunkAt(j.buf, j.n, j.off, j.err)
	return s
}

// merge appends what a chunk collector found, in order.
func (c *collector) merge(s *collector) {
	c.res.Lines += s.res.Lines
	if s.res.FirstTime != nil {
		c.seenTime(*s.res.FirstTime)
	}
	if s.res.LastTime != nil {
		c.seenTime(*s.res.LastTime)
	}
	for _, e := range s.res.Errors {
		c.errorf(e.Line, e.Offset, e.Msg)
	}
	c.ids = append(c.ids, s.ids...)
	for _, e := range s.events {
		e.seq = c.seq
		c.seq++
		c.events = append(c.events, e)
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// recLoc is a record found by walking the chunk's record headers.
type recLoc struct {
	off  int // offset in the chunk
	id   uint64
	time uint64 // FILETIME of the record header
}

// walkChunk follows the record headers ("**\0\0", size) from 0x200 to the
// chunk's free-space offset. It stops at the first inconsistent header and
// reports where.
func walkChunk(buf []byte) (locs []recLoc, badOff int, bad string) {
	limit := int(binary.LittleEndian.Uint32(buf[0x30:]))
	free := limit // where the chunk header says its records end
	if limit < evtxChunkHeader || limit > len(buf) {
		limit, free = len(buf), 0
	}
	off := evtxChunkHeader
	for off+evtxRecordHeader <= limit {
		if string(buf[off:off+4]) != "**\x00\x00" {
			if allZero(buf[off : off+4]) {
				if off < free {
					return locs, off, fmt.Sprintf("zeroed bytes where a record should be (the chunk's records end at offset %d)", free)
				}
				return locs, 0, ""
			}
			return locs, off, "record signature missing"
		}
		size := int(binary.LittleEndian.Uint32(buf[off+4:]))
		if size < evtxRecordHeader+4 || off+size > len(buf) {
			return locs, off, fmt.Sprintf("record size %d invalid", size)
		}
		if binary.LittleEndian.Uint32(buf[off+size-4:]) != uint32(size) {
			return locs, off, "record size copy at the end of the record does not match"
		}
		locs = append(locs, recLoc{
			off:  off,
			id:   binary.LittleEndian.Uint64(buf[off+8:]),
			time: binary.LittleEndian.Uint64(buf[off+16:]),
		})
		off += size
	}
	return locs, 0, ""
}

// parseChunk runs the library on one chunk, parsing at most limit records
// (limit < 0: all). A panic inside the library is returned as panicMsg.
func parseChunk(buf []byte, limit int) (recs []*evtx.EventRecord, err error, panicMsg string) {
	defer func() {
		if r := recover(); r != nil {
			recs, err, panicMsg = nil, nil, fmt.Sprint(r)
		}
	}()
	b := buf
	if limit >= 0 {
		if limit == 0 {
			return nil, nil, ""
		}
		b = append([]byte(nil), buf...)
		first := binary.LittleEndian.Uint64(b[0x08:])
		binary.LittleEndian.PutUint64(b[0x10:], first+uint64(limit)-1)
	}
	ch, err := evtx.NewChunk(bytes.NewReader(b), 0)
	if err != nil {
		return nil, err, ""
	}
	recs, err = ch.Parse(0)
	return recs, err, ""
}

// guardEnabled runs the cost walk (guard.go) before the library; tests turn
// it off to exercise the library's own panics and their recovery.
var guardEnabled = true

// chunk parses one 64 KiB chunk and feeds its records to the collector.
func (c *collector) chunk(buf []byte, off int64) {
	if !bytes.HasPrefix(buf, chunkMagic) {
		if !allZero(buf) {
			c.errorf(0, off, "chunk signature missing; chunk skipped")
		}
		return
	}
	if binary.LittleEndian.Uint64(buf[0x20:]) == math.MaxUint64 {
		return // allocated but never written
	}
	locs, badOff, bad := walkChunk(buf)
	if len(locs) > 0 {
		c.ids = append(c.ids, idRange{locs[0].id, locs[len(locs)-1].id, off})
	}
	lost := func(kept int) string {
		if len(locs) > kept {
			return fmt.Sprintf("%d records", len(locs)-kept)
		}
		return "the rest of the chunk"
	}
	limit := -1
	if guardEnabled {
		n, st, at := chunkBudget(buf)
		switch st {
		case budgetOver:
			limit = n
			c.errorf(0, off+int64(at), fmt.Sprintf("record %d of the chunk at offset %d is corrupt in a way that would make the EVTX library exhaust memory or time: %d earlier records kept, %s lost", n+1, off, n, lost(n)))
		case budgetPanic:
			// Not even tried: a record that panics may first have spent
			// most of the budget, and finding it by trial would repeat that.
			limit = n
			c.errorf(0, off+int64(at), fmt.Sprintf("record %d of the chunk at offset %d is corrupt in a way that makes the EVTX library panic (it reads past the end of the chunk): %d earlier records kept, %s lost", n+1, off, n, lost(n)))
		}
	}
	recs, err, pmsg := parseChunk(buf, limit)
	if pmsg != "" {
		// Salvage the records before the one that makes the library panic:
		// parsing is sequential, so "panics when parsing k records" is
		// monotonic in k and a binary search finds the culprit.
		first := binary.LittleEndian.Uint64(buf[0x08:])
		last := binary.LittleEndian.Uint64(buf[0x10:])
		hi := maxChunkRecords
		if last >= first && last-first+1 < uint64(hi) {
			hi = int(last-first) + 1
		}
		if limit >= 0 && limit < hi {
			hi = limit
		}
		lo := 0 // parsing lo records is known not to panic
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if _, _, pm := parseChunk(buf, mid); pm != "" {
				hi = mid
			} else {
				lo = mid
			}
		}
		recs, err, _ = parseChunk(buf, lo)
		at := off
		if lo < len(locs) {
			at = off + int64(locs[lo].off)
		}
		c.errorf(0, at, fmt.Sprintf("evtx library panic on record %d of the chunk at offset %d (%s): %d earlier records kept, %s lost", lo+1, off, pmsg, lo, lost(lo)))
	}
	if err != nil {
		c.errorf(0, off, "chunk: "+err.Error())
	}
	offs := make(map[uint64]int, len(locs))
	for _, l := range locs {
		if _, dup := offs[l.id]; !dup {
			offs[l.id] = l.off
		}
	}
	done := make(map[uint64]bool, len(recs))
	for _, rec := range recs {
		if rec == nil || done[rec.Header.RecordID] {
			continue // the library repeats a record whose size field is 0
		}
		done[rec.Header.RecordID] = true
		recOff := off
		o, ok := offs[rec.Header.RecordID]
		if ok {
			recOff = off + int64(o)
		} else if bad != "" {
			// The library read past a record header that does not hold
			// together (cut copy, overwritten bytes): not a record.
			continue
		}
		c.record(rec, recOff)
	}
	if pmsg == "" && limit < 0 {
		for _, l := range locs {
			if !done[l.id] {
				c.errorf(0, off+int64(l.off), fmt.Sprintf("record %d could not be parsed; rest of chunk skipped", l.id))
				break
			}
		}
	}
	if bad != "" {
		c.errorf(0, off+int64(badOff), bad+"; rest of chunk skipped")
	}
}

// record converts one library record into an event. Only events that may
// matter get their data converted; every record is counted.
func (c *collector) record(rec *evtx.EventRecord, off int64) {
	defer func() {
		if r := recover(); r != nil {
			c.errorf(0, off, fmt.Sprintf("record %d: %v", rec.Header.RecordID, r))
		}
	}()
	root, _ := rec.Event.(*ordereddict.Dict)
	if root == nil {
		c.errorf(0, off, fmt.Sprintf("record %d: no event", rec.Header.RecordID))
		return
	}
	evAny, _ := root.Get("Event")
	ev, _ := evAny.(*ordereddict.Dict)
	if ev == nil {
		c.errorf(0, off, fmt.Sprintf("record %d: no Event element", rec.Header.RecordID))
		return
	}
	sys := dictAt(ev, "System")
	tm := recordTime(sys, rec.Header.FileTime)
	c.seen(tm)
	if sys == nil {
		c.errorf(0, off, fmt.Sprintf("record %d: no System element", rec.Header.RecordID))
		return
	}
	id, ok := toUint(valueAt(sys, "EventID"))
	if !ok || id > math.MaxUint32 {
		c.errorf(0, off, fmt.Sprintf("record %d: no EventID", rec.Header.RecordID))
		return
	}
	if !anyRelevantID[uint32(id)] {
		return
	}
	e := &event{Offset: off, RecordID: rec.Header.RecordID, Time: tm, ID: uint32(id)}
	e.Provider = toString(valueAt(dictAt(sys, "Provider"), "Name"))
	e.Channel = toString(valueAt(sys, "Channel"))
	if !prefilter(e) {
		return
	}
	e.Computer = toString(valueAt(sys, "Computer"))
	if rid, ok := toUint(valueAt(sys, "EventRecordID")); ok {
		e.RecordID = rid
	}
	if d, ok := ev.Get("EventData"); ok {
		flatten(d, "", &e.Fields)
	}
	if d, ok := ev.Get("UserData"); ok {
		flatten(d, "", &e.Fields)
	}
	c.keep(e)
}

// recordTime is System/TimeCreated/@SystemTime. The library gives it as a
// float64 of Unix seconds (about 1 µs precision) or, for some templates, as
// the string written in the file; the record header FILETIME is exact but is
// the time the record was written, which some re-written sample files do not
// keep. Use the exact header time when it agrees with TimeCreated to within
// 2 µs, else TimeCreated rounded to the microsecond.
func recordTime(sys *ordereddict.Dict, hdrFT uint64) time.Time {
	hdr := filetime(hdrFT)
	tc := valueAt(dictAt(sys, "TimeCreated"), "SystemTime")
	switch v := tc.(type) {
	case float64:
		if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) || v > 1e11 {
			break
		}
		sec, frac := math.Modf(v)
		t := time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
		if !hdr.IsZero() {
			if d := hdr.Sub(t); d > -2*time.Microsecond && d < 2*time.Microsecond {
				return hdr
			}
		}
		return t
	case string:
		if t, ok := parseSystemTime(v); ok {
			return t
		}
	}
	return hdr
}

// filetime converts 100 ns ticks since 1601 to UTC (zero for 0 / absurd).
func filetime(ft uint64) time.Time {
	const epochDelta = 116444736000000000 // 1601→1970 in 100 ns
	if ft <= epochDelta || ft > epochDelta+uint64(200*365*24*3600)*1e7 {
		return time.Time{}
	}
	d := ft - epochDelta
	return time.Unix(int64(d/1e7), int64(d%1e7)*100).UTC()
}

// prefilter decides from provider/channel/ID alone whether the data is worth
// converting.
func prefilter(e *event) bool {
	ids, ok := relevantIDs[sourceOf(e)]
	return ok && ids[e.ID]
}

func dictAt(d *ordereddict.Dict, key string) *ordereddict.Dict {
	if d == nil {
		return nil
	}
	v, _ := d.Get(key)
	m, _ := v.(*ordereddict.Dict)
	return m
}

// valueAt returns d[key], unwrapping {"Value": x} (EventID with Qualifiers).
func valueAt(d *ordereddict.Dict, key string) any {
	if d == nil {
		return nil
	}
	v, _ := d.Get(key)
	if m, ok := v.(*ordereddict.Dict); ok {
		if x, ok := m.Get("Value"); ok {
			return x
		}
	}
	return v
}

// flatten turns EventData/UserData as the library renders it into fields:
// normalised {Name: value} maps, {"Data": [{Name, Value}…]} lists that were
// not normalised, single {"Data": {Name, Value}}, unnamed Data strings, and
// UserData's nested element (leaf names are kept).
func flatten(v any, name string, out *[]field) {
	switch x := v.(type) {
	case *ordereddict.Dict:
		if n, ok := x.Get("Name"); ok && name == "Data" {
			val, _ := x.Get("Value")
			addField(out, toString(n), val)
			return
		}
		for _, k := range x.Keys() {
			if strings.HasPrefix(k, "xmlns") || k == "Binary" {
				continue
			}
			val, _ := x.Get(k)
			switch val.(type) {
			case *ordereddict.Dict:
				flatten(val, k, out)
			case []any:
				if k == "Data" {
					flatten(val, k, out)
					continue
				}
				addField(out, k, val)
			default:
				if k == "Data" || (k == "Value" && name == "Data") {
					addField(out, "", val)
				} else {
					addField(out, k, val)
				}
			}
		}
	case []any:
		for _, it := range x {
			if _, ok := it.(*ordereddict.Dict); ok {
				flatten(it, name, out)
			} else {
				addField(out, "", it)
			}
		}
	case nil:
	default:
		addField(out, "", x)
	}
}

func addField(out *[]field, name string, v any) {
	s := strings.TrimSpace(toString(v))
	if hexFields[name] {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			s = "0x" + strconv.FormatUint(n, 16)
		}
	}
	*out = append(*out, field{Name: name, Value: s})
}

func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int:
		return uint64(x), x >= 0
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	case float64:
		return uint64(x), x >= 0 && x < 1<<63 && x == math.Trunc(x)
	case string:
		return parseUint(x)
	}
	return 0, false
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return hex.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case uint8, uint16, uint32, uint64, int, int8, int16, int32, int64:
		return fmt.Sprint(x)
	case []string:
		return strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = toString(it)
		}
		return strings.Join(parts, ",")
	case *ordereddict.Dict:
		if val, ok := x.Get("Value"); ok && x.Len() == 1 {
			return toString(val)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
	return fmt.Sprint(v)
}
