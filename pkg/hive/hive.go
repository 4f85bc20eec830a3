// Package hive reads Windows registry keys from two places through one
// interface: offline regf hive files (SOFTWARE, SYSTEM, NTUSER.DAT,
// Amcache.hve) parsed with www.velocidex.com/golang/regparser, and — on
// Windows only — the live registry (live_windows.go).
//
// The offline reader never writes to the hive and never applies transaction
// logs (a dirty hive is read as it is on disk and says so in Errors). Every
// walk is bounded: corrupt offsets, cyclic index cells and oversized values
// become errors that name the hive and the byte offset, never a panic or an
// endless loop.
package hive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf16"

	"www.velocidex.com/golang/regparser"
)

// Key is one registry key, from a live registry or an offline hive.
type Key interface {
	// Name is the key's own name; Path its full path, used as evidence
	// source (e.g. `HKLM\SOFTWARE\…\Uninstall\AnyDesk` or
	// `/Windows/System32/config/SOFTWARE:\Microsoft\…`).
	Name() string
	Path() string
	// Subkey opens a direct or nested child (backslash-separated).
	Subkey(path string) (Key, error)
	// SubkeyNames lists the direct children.
	SubkeyNames() ([]string, error)
	// String returns a REG_SZ / REG_EXPAND_SZ (unexpanded) value, or the
	// first string of a REG_MULTI_SZ.
	String(name string) (string, bool)
	// Integer returns a REG_DWORD / REG_QWORD value.
	Integer(name string) (uint64, bool)
	// Binary returns the raw bytes of any value.
	Binary(name string) ([]byte, bool)
	// ValueNames lists the key's value names.
	ValueNames() ([]string, error)
	// Modified is the key's last write time (zero when unknown).
	Modified() time.Time
	Close() error
}

// ErrNotFound is returned when a key does not exist.
var ErrNotFound = errors.New("key not found")

// Limits that keep a corrupt hive from exhausting time or memory.
const (
	maxSubkeys   = 200000
	maxValues    = 100000
	maxValueSize = 4 << 20
	maxIndexHops = 4 // ri → li/lf/lh nesting never exceeds one level in real hives
)

// Hive is an offline regf hive.
type Hive struct {
	label   string
	r       io.ReaderAt
	size    int64
	reg     *regparser.Registry
	root    *regparser.CM_KEY_NODE
	errs    []string
	closer  io.Closer
	visited map[int64]bool
}

// OpenFile opens a hive file read-only. label names it in errors and paths
// (typically the inspected-system path). f is owned by the Hive.
func OpenFile(f *os.File, label string) (*Hive, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	h, err := Open(newPageCache(f, st.Size()), st.Size(), label)
	if err != nil {
		f.Close()
		return nil, err
	}
	h.closer = f
	return h, nil
}

// Open parses a hive from r (size bytes).
func Open(r io.ReaderAt, size int64, label string) (h *Hive, err error) {
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("%s: corrupt hive: %v", label, p)
		}
	}()
	if size < 0x1000+0x20 {
		return nil, fmt.Errorf("%s: %d bytes is too short for a registry hive (offset 0)", label, size)
	}
	reg, err := regparser.NewRegistry(r)
	if err != nil {
		return nil, fmt.Errorf("%s: offset 0: %v", label, err)
	}
	h = &Hive{label: label, r: r, size: size, reg: reg}
	if s1, s2 := reg.BaseBlock.Sequence1(), reg.BaseBlock.Sequence2(); s1 != s2 {
		h.errs = append(h.errs, fmt.Sprintf("%s: hive is dirty (sequence %d != %d); transaction logs were not applied, recent changes may be missing", label, s1, s2))
	}
	rootOff := 0x1000 + int64(reg.BaseBlock.RootCell())
	cell := reg.Profile.HCELL(r, rootOff)
	if rootOff+8 > size || cell.KeyNode() == nil {
		return nil, fmt.Errorf("%s: offset 0x%x: root cell is not a key node", label, rootOff)
	}
	h.root = cell.KeyNode()
	return h, nil
}

// Label is the name given at Open.
func (h *Hive) Label() string { return h.label }

// Errors lists problems met while reading (corrupt cells, dirty hive…).
func (h *Hive) Errors() []string { return h.errs }

func (h *Hive) errorf(off int64, format string, args ...any) {
	if len(h.errs) < 100 {
		h.errs = append(h.errs, fmt.Sprintf("%s: offset 0x%x: %s", h.label, off, fmt.Sprintf(format, args...)))
	}
}

// Close releases the file.
func (h *Hive) Close() error {
	if h.closer != nil {
		return h.closer.Close()
	}
	return nil
}

// Root is the hive's root key.
func (h *Hive) Root() Key { return &offKey{h: h, nk: h.root, path: h.label + `:\`} }

// Open opens a key by backslash-separated path below the root.
func (h *Hive) Open(path string) (Key, error) { return h.Root().Subkey(path) }

type offKey struct {
	h    *Hive
	nk   *regparser.CM_KEY_NODE
	name string
	path string
	vals []offValue
	read bool
}

// cellRoom is the payload size of an allocated cell (its size field is
// negative), 0 for a free or absurd one.
func (h *Hive) cellRoom(c *regparser.HCELL) int64 {
	sz := -int64(int32(c.Next())) - 4
	if sz < 0 || c.Offset+4+sz > h.size {
		return 0
	}
	return sz
}

func (k *offKey) Name() string { return k.name }
func (k *offKey) Path() string { return k.path }
func (k *offKey) Close() error { return nil }

func (k *offKey) Modified() time.Time {
	ft := binaryUint64(k.h.r, k.nk.Offset+k.h.reg.Profile.Off_CM_KEY_NODE_LastWriteTime)
	return Filetime(ft)
}

// Filetime converts a Windows FILETIME (100 ns since 1601) to UTC; 0 and
// absurd values give the zero time.
func Filetime(ft uint64) time.Time {
	const epochDiff = 116444736000000000
	if ft <= epochDiff || ft >= 0x7fffffffffffffff {
		return time.Time{}
	}
	t := time.Unix(0, 0).Add(time.Duration(ft-epochDiff) * 100)
	if t.Year() > 2200 {
		return time.Time{}
	}
	return t.UTC()
}

func binaryUint64(r io.ReaderAt, off int64) uint64 {
	var b [8]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b[:])
}

func (h *Hive) cell(rel uint32) (*regparser.HCELL, bool) {
	off := 0x1000 + int64(rel)
	if rel == 0xffffffff || off+8 > h.size {
		return nil, false
	}
	return h.reg.Profile.HCELL(h.r, off), true
}

func (h *Hive) keyName(nk *regparser.CM_KEY_NODE) string {
	n := int(nk.NameLength())
	buf := make([]byte, n)
	got, _ := h.r.ReadAt(buf, nk.Offset+h.reg.Profile.Off_CM_KEY_NODE__Name)
	buf = buf[:got]
	if nk.Flags()&0x20 != 0 { // KEY_COMP_NAME: Latin-1
		return latin1(buf)
	}
	return utf16le(buf)
}

func latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func utf16le(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.LittleEndian.Uint16(b[i:]))
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// children lists the key nodes below nk, bounded and cycle-safe.
func (h *Hive) children(nk *regparser.CM_KEY_NODE) []*regparser.CM_KEY_NODE {
	lists := nk.SubKeyLists()
	counts := nk.SubKeyCounts()
	if len(lists) == 0 || len(counts) == 0 || counts[0] == 0 {
		return nil
	}
	var out []*regparser.CM_KEY_NODE
	h.walkIndex(lists[0], 0, &out)
	return out
}

func (h *Hive) walkIndex(rel uint32, depth int, out *[]*regparser.CM_KEY_NODE) {
	c, ok := h.cell(rel)
	if !ok {
		h.errorf(0x1000+int64(rel), "subkey index outside the file")
		return
	}
	if depth > maxIndexHops {
		h.errorf(c.Offset, "subkey index nested too deep")
		return
	}
	prof := h.reg.Profile
	switch c.Signature() {
	case 0x666c, 0x686c: // lf, lh
		fl := prof.CM_KEY_INDEX_FAST(h.r, c.Offset+4)
		n := int(fl.Count())
		base := fl.Offset + prof.Off_CM_KEY_INDEX_FAST_List
		if limit := min(h.cellRoom(c)-4, h.size-base) / 8; int64(n) > limit {
			h.errorf(c.Offset, "subkey list of %d entries does not fit its cell", n)
			n = int(max(limit, 0))
		}
		for i := 0; i < n && len(*out) < maxSubkeys; i++ {
			h.addKey(binaryUint32(h.r, base+int64(i)*8), out)
		}
	case 0x6972, 0x696c: // ri, li
		ix := prof.CM_KEY_INDEX(h.r, c.Offset+4)
		n := int(ix.Count())
		base := ix.Offset + prof.Off_CM_KEY_INDEX_List
		if limit := min(h.cellRoom(c)-4, h.size-base) / 4; int64(n) > limit {
			h.errorf(c.Offset, "subkey index of %d entries does not fit its cell", n)
			n = int(max(limit, 0))
		}
		isRI := c.Signature() == 0x6972
		for i := 0; i < n && len(*out) < maxSubkeys; i++ {
			v := binaryUint32(h.r, base+int64(i)*4)
			if isRI {
				h.walkIndex(v, depth+1, out)
			} else {
				h.addKey(v, out)
			}
		}
	default:
		h.errorf(c.Offset, "unknown subkey index signature %q", sig(c.Signature()))
	}
}

func (h *Hive) addKey(rel uint32, out *[]*regparser.CM_KEY_NODE) {
	c, ok := h.cell(rel)
	if !ok {
		h.errorf(0x1000+int64(rel), "key cell outside the file")
		return
	}
	nk := c.KeyNode()
	if nk == nil {
		h.errorf(c.Offset, "expected a key node, found %q", sig(c.Signature()))
		return
	}
	*out = append(*out, nk)
}

func sig(v uint16) string { return string([]byte{byte(v), byte(v >> 8)}) }

func binaryUint32(r io.ReaderAt, off int64) uint32 {
	var b [4]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return 0xffffffff
	}
	return binary.LittleEndian.Uint32(b[:])
}

func (k *offKey) SubkeyNames() (names []string, err error) {
	defer k.h.guard(&err)
	for _, c := range k.h.children(k.nk) {
		names = append(names, k.h.keyName(c))
	}
	return names, nil
}

func (h *Hive) guard(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: corrupt hive: %v", h.label, p)
		h.errs = append(h.errs, (*err).Error())
	}
}

func (k *offKey) Subkey(path string) (out Key, err error) {
	defer k.h.guard(&err)
	cur := k
	for _, comp := range strings.Split(strings.Trim(path, `\/`), `\`) {
		if comp == "" {
			continue
		}
		var next *offKey
		for _, c := range k.h.children(cur.nk) {
			name := k.h.keyName(c)
			if strings.EqualFold(name, comp) {
				p := cur.path
				if !strings.HasSuffix(p, `\`) {
					p += `\`
				}
				next = &offKey{h: k.h, nk: c, name: name, path: p + name}
				break
			}
		}
		if next == nil {
			return nil, fmt.Errorf("%s\\%s: %w", strings.TrimSuffix(cur.path, `\`), comp, ErrNotFound)
		}
		cur = next
	}
	return cur, nil
}

type offValue struct {
	name string
	vk   *regparser.CM_KEY_VALUE
}

func (k *offKey) values() []offValue {
	if !k.read {
		k.vals, k.read = k.readValues(), true
	}
	return k.vals
}

func (k *offKey) readValues() []offValue {
	h := k.h
	prof := h.reg.Profile
	vl := k.nk.ValueList()
	n := int(vl.Count())
	if n == 0 {
		return nil
	}
	c, ok := h.cell(vl.List())
	if !ok {
		h.errorf(0x1000+int64(vl.List()), "value list of %s outside the file", k.path)
		return nil
	}
	base := c.Payload()
	if limit := min(int64(maxValues), h.cellRoom(c)/4, (h.size-base)/4); int64(n) > limit {
		h.errorf(c.Offset, "value list of %s: %d entries do not fit its cell", k.path, n)
		n = int(max(limit, 0))
	}
	out := make([]offValue, 0, n)
	for i := 0; i < n; i++ {
		vc, ok := h.cell(binaryUint32(h.r, base+int64(i)*4))
		if !ok {
			continue
		}
		vk := vc.KeyValue()
		if vk == nil {
			h.errorf(vc.Offset, "expected a value node, found %q", sig(vc.Signature()))
			continue
		}
		nameLen := int(vk.NameLength())
		buf := make([]byte, nameLen)
		got, _ := h.r.ReadAt(buf, vk.Offset+prof.Off_CM_KEY_VALUE_Name)
		buf = buf[:got]
		name := utf16le(buf)
		if vk.Flags()&1 != 0 { // VALUE_COMP_NAME
			name = latin1(buf)
		}
		out = append(out, offValue{name: name, vk: vk})
	}
	return out
}

func (k *offKey) ValueNames() (names []string, err error) {
	defer k.h.guard(&err)
	for _, v := range k.values() {
		names = append(names, v.name)
	}
	return names, nil
}

func (k *offKey) find(name string) (*regparser.ValueData, bool) {
	var err error
	defer k.h.guard(&err)
	for _, v := range k.values() {
		if !strings.EqualFold(v.name, name) {
			continue
		}
		if err := k.h.checkValue(v.vk); err != "" {
			k.h.errorf(v.vk.Offset, "value %s\\%s: %s", k.path, v.name, err)
			return nil, false
		}
		vd := v.vk.ValueData()
		return vd, vd != nil
	}
	return nil, false
}

func (k *offKey) String(name string) (string, bool) {
	vd, ok := k.find(name)
	if !ok {
		return "", false
	}
	switch vd.Type {
	case regparser.REG_SZ, regparser.REG_EXPAND_SZ:
		return strings.TrimRight(vd.String, "\x00"), true
	case regparser.REG_MULTI_SZ:
		if len(vd.MultiSz) > 0 {
			return vd.MultiSz[0], true
		}
		return "", true
	}
	return "", false
}

func (k *offKey) Integer(name string) (uint64, bool) {
	vd, ok := k.find(name)
	if !ok || vd.Error != nil {
		return 0, false
	}
	switch vd.Type {
	case regparser.REG_DWORD, regparser.REG_DWORD_BIG_ENDIAN, regparser.REG_QWORD:
		return vd.Uint64, true
	}
	return 0, false
}

func (k *offKey) Binary(name string) ([]byte, bool) {
	vd, ok := k.find(name)
	if !ok {
		return nil, false
	}
	return vd.Data, true
}

// checkValue bounds a value's data before regparser reads it (it reads one
// byte per call up to the declared length, so a corrupt length would be slow
// and large).
func (h *Hive) checkValue(vk *regparser.CM_KEY_VALUE) string {
	raw := vk.DataLength()
	if raw&0x80000000 != 0 { // inline, at most 4 bytes
		return ""
	}
	size := int64(raw)
	if size > maxValueSize {
		return fmt.Sprintf("%d bytes is too large", size)
	}
	c, ok := h.cell(vk.Data())
	if !ok {
		return "data cell outside the file"
	}
	if c.Signature() == 0x6264 && size > 16344 { // db: big data segments
		count := int64(binaryUint16(h.r, c.Payload()+h.reg.Profile.Off_CM_BIG_DATA_Count))
		if count*16344 < size || count > maxValueSize/16344+1 {
			return fmt.Sprintf("big-data record of %d segments cannot hold %d bytes", count, size)
		}
		return ""
	}
	if avail := h.cellRoom(c); avail < size {
		return fmt.Sprintf("%d bytes declared, data cell at 0x%x holds %d", size, c.Offset, avail)
	}
	return ""
}

func binaryUint16(r io.ReaderAt, off int64) uint16 {
	var b [2]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b[:])
}
