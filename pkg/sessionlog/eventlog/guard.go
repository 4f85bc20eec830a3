package eventlog

import "encoding/binary"

// The pinned EVTX library (www.velocidex.com/golang/evtx
// v0.2.1-0.20260612024815-7947209eb310) trusts counts read from the file. A
// panic is recovered per chunk, but some corrupt chunks make it allocate or
// loop without bound, which no recover() can stop:
//
//   - ParseTemplateInstance caps the argument count at 10240 only for known
//     templates; after an inline template definition it reads the count again
//     uncapped, and appends that many (0,0) headers even past the end of the
//     chunk (a 41 KB fuzz input made it allocate 1.5 GB; 0xFFFFFFFF would
//     need 64 GB);
//   - array arguments (0x86, 0x8a, 0x95) read to the end of the chunk whatever
//     their size, SID arguments build their string by repeated concatenation
//     (quadratic in the argument length), and BinXML arguments (0x21) re-parse
//     the bytes that follow, so zero-length ones repeat the same work.
//
// chunkBudget walks a chunk with the library's own control flow — the same
// token dispatch, the same reads with the same out-of-range behaviour, the
// same template bookkeeping — without building anything, and adds up the
// work and memory the library will spend. Records up to the one that would
// exceed the budget are handed to the library; that record and the rest of
// the chunk are reported and skipped. The largest real chunk of the samples
// costs 37 k work units and ~2.8 MiB estimated (1.9 MiB really allocated):
// under 1/16 of the budget (TestGuardCostOfSamples). A chunk just under the
// budget costs the library ~0.1–0.3 s; with the parallel chunk workers, a
// file of hostile chunks makes it hold at most workers × guardMemBudget.
const (
	guardWorkBudget = 8_000_000 // tokens, argument reads, array elements, characters
	guardMemBudget  = 64 << 20  // bytes the library would allocate for one chunk
)

type gctx struct{ off int }

type costWalker struct {
	buf      []byte
	known    map[uint32]int64 // template id → nodes, as the library's knownIDs
	work     int64
	mem      int64
	panicked bool // the library would panic here
}

func (w *costWalker) over() bool {
	return w.panicked || w.work > guardWorkBudget || w.mem > guardMemBudget
}

// The Consume* helpers reproduce the library's: a read past the end returns
// zero and does not advance; ConsumeUint8 indexes the buffer when the offset
// is exactly its length (the library panics there).
func (w *costWalker) u8(c *gctx) uint8 {
	if c.off > len(w.buf) {
		return 0
	}
	if c.off == len(w.buf) || c.off < 0 {
		w.panicked = true
		return 0
	}
	c.off++
	return w.buf[c.off-1]
}

func (w *costWalker) u16(c *gctx) uint16 {
	if c.off < 0 || c.off+2 > len(w.buf) {
		return 0
	}
	c.off += 2
	return binary.LittleEndian.Uint16(w.buf[c.off-2:])
}

func (w *costWalker) u32(c *gctx) uint32 {
	if c.off < 0 || c.off+4 > len(w.buf) {
		return 0
	}
	c.off += 4
	return binary.LittleEndian.Uint32(w.buf[c.off-4:])
}

func (w *costWalker) u64(c *gctx) {
	if c.off >= 0 && c.off+8 <= len(w.buf) {
		c.off += 8
	}
}

// consumeBytes: in range, a slice (advance); out of range, make([]byte, n).
func (w *costWalker) consumeBytes(c *gctx, n int) {
	if c.off < 0 || c.off+n > len(w.buf) {
		w.mem += int64(n)
		return
	}
	c.off += n
}

func (w *costWalker) prefixedString(c *gctx, nullTerminated bool) {
	n := int(w.u16(c))
	if nullTerminated {
		n++
	}
	w.consumeBytes(c, n*2)
	w.work += int64(n)
	w.mem += int64(n) * 6 // []uint16, runes, string
}

func (w *costWalker) readName(c *gctx) {
	at := int(w.u32(c))
	if at != c.off {
		t := gctx{off: at + 6}
		w.prefixedString(&t, true)
		return
	}
	c.off += 6
	w.prefixedString(c, true)
}

// binXML mirrors ParseBinXML and returns the template nodes it creates.
func (w *costWalker) binXML(c *gctx, inTemplate bool) (nodes int64) {
	for !w.over() {
		tag := w.u8(c)
		if w.panicked {
			return nodes
		}
		w.work++
		switch tag {
		case 0x01, 0x41: // open start element
			if inTemplate {
				c.off += 2
			}
			w.u32(c)
			w.readName(c)
			if tag == 0x41 {
				w.u32(c)
			}
			nodes++
			w.mem += 256
		case 0x02, 0x03, 0x04, 0x07, 0x47, 0x08, 0x48, 0x09, 0x49, 0x0A, 0x0B:
		case 0x05, 0x45: // value text
			w.u8(c)
			w.prefixedString(c, false)
			nodes++
			w.mem += 64
		case 0x06, 0x46: // attribute
			w.readName(c)
		case 0x0C:
			n, ok := w.templateInstance(c)
			nodes += n
			if !ok {
				return nodes
			}
		case 0x0D, 0x0E: // substitution
			w.u16(c)
			if w.u8(c) == 0 {
				w.u8(c)
			}
			nodes++
			w.mem += 64
		case 0x0F:
			c.off += 3
		default: // 0x00 EOF and unknown tokens end the fragment
			return nodes
		}
	}
	return nodes
}

// templateInstance mirrors ParseTemplateInstance; it returns the nodes the
// expansion creates and whether parsing goes on.
func (w *costWalker) templateInstance(c *gctx) (int64, bool) {
	if w.u8(c) != 0x01 || w.panicked {
		return 0, false
	}
	id := w.u32(c)
	if id == 0 {
		return 0, false
	}
	w.u32(c) // template definition offset
	n := int64(w.u32(c))
	if n > 10*1024 {
		n = 10 * 1024
	}
	nodes, known := w.known[id]
	if !known {
		c.off += 16
		bodyLen := int(w.u32(c))
		body := gctx{off: c.off}
		w.known[id] = 0 // registered before its body is parsed, as the library does
		nodes = w.binXML(&body, true)
		w.known[id] = nodes
		c.off += bodyLen
		n = int64(w.u32(c)) // not capped by the library
	}
	// Argument headers: n appends of 16 bytes, reading 4 bytes each while
	// they are in the chunk, zeros after. append grows large slices by 1.25×,
	// so all the copies add up to ~5× the final slice: ~96 bytes per header
	// (measured: 93).
	w.work += n
	w.mem += 96 * n
	if w.over() {
		return 0, false
	}
	// Headers are re-read from the chunk below rather than stored: only the
	// first m are in it (the last one maybe half), the rest are (0, 0).
	hdr := c.off
	m := 0
	for i := int64(0); i < n; i++ {
		if c.off < 0 || c.off+2 > len(w.buf) {
			break
		}
		w.u16(c)
		w.u16(c)
		m++
	}
	for i := 0; i < m; i++ {
		if w.over() {
			return 0, false
		}
		var a struct {
			n   int
			typ uint16
		}
		if p := hdr + 4*i; p+4 <= len(w.buf) {
			a.n = int(binary.LittleEndian.Uint16(w.buf[p:]))
			a.typ = binary.LittleEndian.Uint16(w.buf[p+2:])
		} else {
			a.n = int(binary.LittleEndian.Uint16(w.buf[p:]))
		}
		w.work++
		w.mem += 48 // arg_values map entry
		switch a.typ {
		case 0x00:
			c.off += a.n
		case 0x01, 0x81: // UTF-16 string (list)
			w.consumeBytes(c, a.n)
			w.work += int64(a.n) / 2
			w.mem += int64(a.n) * 4
		case 0x04:
			w.u8(c)
		case 0x06:
			w.u16(c)
		case 0x07, 0x08, 0x0b, 0x14:
			w.u32(c)
		case 0x09, 0x0A, 0x0c, 0x11, 0x15:
			w.u64(c)
		case 0x0d:
			switch a.n {
			case 8:
				w.u64(c)
			case 4:
				w.u32(c)
			case 2:
				w.u16(c)
			case 1:
				w.u8(c)
			}
		case 0x0e, 0x0f, 0x27, 0x28:
			w.consumeBytes(c, a.n)
			w.mem += int64(a.n)
		case 0x12: // SYSTEMTIME: slices buff[off:off+n] (capacity = chunk), reads 16 bytes
			if c.off < 0 || c.off+16 > len(w.buf) {
				break
			}
			if c.off+a.n > len(w.buf) {
				w.panicked = true
				return 0, false
			}
			c.off += a.n
		case 0x13: // SID: "str += …" per 4 bytes
			w.u8(c)
			w.u8(c)
			w.consumeBytes(c, 6)
			k := int64(0)
			if a.n > 8 {
				k = int64(a.n-8+3) / 4
			}
			w.work += k
			w.mem += 6 * k * k // quadratic string building
			if w.over() {
				return 0, false
			}
			for i := int64(0); i < k; i++ {
				w.u32(c)
			}
		case 0x21: // nested BinXML parsed from here, then skipped
			nested := gctx{off: c.off}
			nn := w.binXML(&nested, false)
			w.work += nn
			w.mem += 256 * nn
			c.off += a.n
		case 0x86, 0x8a, 0x95: // arrays read to the end of the chunk
			size := 2
			if a.typ != 0x86 {
				size = 8
			}
			k := int64(0)
			if c.off >= 0 && c.off+size < len(w.buf) {
				k = int64((len(w.buf)-size-1-c.off)/size) + 1
			}
			w.work += k
			per := int64(2 * size)
			if a.typ == 0x95 {
				per = 64 // "0x…" strings
			}
			w.mem += per * k
			c.off += a.n
		default:
			w.consumeBytes(c, a.n)
			w.mem += int64(a.n)
		}
	}
	// Expand + NormalizeEventData: one pass over the template.
	w.work += nodes + n
	w.mem += 256*nodes + 64*n
	return nodes, !w.over()
}

// Outcome of the cost walk of a chunk.
type budget int

const (
	budgetOK    budget = iota // the library can parse the whole chunk
	budgetOver                // record `records` would exceed the budget
	budgetPanic               // record `records` would make the library panic
)

// chunkBudget returns how many iterations of the library's record loop
// (Chunk.Parse) can safely run, why not more, and where the record that stops
// it starts in the chunk.
func chunkBudget(buf []byte) (records int, st budget, at int) {
	records, st, at, _ = walkCost(buf)
	return records, st, at
}

func walkCost(buf []byte) (records int, st budget, at int, w *costWalker) {
	w = &costWalker{buf: buf, known: map[uint32]int64{}}
	first := binary.LittleEndian.Uint64(buf[0x08:])
	last := binary.LittleEndian.Uint64(buf[0x10:])
	c := gctx{off: evtxChunkHeader}
	for i := first; i <= last; i++ {
		start := c.off
		if start < 0 || start+evtxRecordHeader > len(buf) || string(buf[start:start+4]) != "**\x00\x00" {
			return records, budgetOK, 0, w // NewEventRecord fails: the library stops here
		}
		size := int(binary.LittleEndian.Uint32(buf[start+4:]))
		c.off += evtxRecordHeader
		w.binXML(&c, false)
		w.work++
		switch {
		case w.panicked:
			return records, budgetPanic, start, w
		case w.over():
			return records, budgetOver, start, w
		}
		records++
		if records > 10*1024 {
			return records, budgetOK, 0, w // "Too many records in chunk"
		}
		c.off = start + size
		if i == last {
			break
		}
	}
	return records, budgetOK, 0, w
}
