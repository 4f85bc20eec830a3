// Package pe reads what identifies a Windows executable without running or
// trusting it: the version resource (OriginalFilename, CompanyName,
// ProductName, FileVersion…) and the subject of the Authenticode signer
// certificate embedded in the PE certificate table. Pure Go (debug/pe,
// encoding/asn1, crypto/x509); it works the same on every OS.
//
// The signature is NOT verified: neither the chain, nor the file digest. A
// signer name here only says what the file claims; the matcher uses it as one
// clue among others.
package pe

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Limits on what is read from a file.
const (
	maxVersionResource = 1 << 20
	maxCertTable       = 16 << 20
	maxResourceEntries = 4096
)

// Info is what Parse found. Fields are empty when absent.
type Info struct {
	Machine string // "amd64", "386", "arm64"…

	OriginalFilename string
	CompanyName      string
	ProductName      string
	FileVersion      string // the string; the fixed numeric version when there is none
	ProductVersion   string
	FileDescription  string
	InternalName     string
	// Strings holds every StringFileInfo pair of the chosen string table.
	Strings map[string]string

	// Signed is true when the certificate table holds a PKCS#7 signature.
	Signed bool
	// Signer is the signer certificate's subject CN (or the whole subject
	// when it has no CN); SignerSubject the whole subject, SignerIssuer the
	// issuer.
	Signer        string
	SignerSubject string
	SignerIssuer  string

	// Errors are problems that left parts unread, with file offsets.
	Errors []string
}

// ErrNotPE is returned for files that are not PE images.
var ErrNotPE = errors.New("not a PE file")

// Parse reads a PE image of size bytes from r. A nil error with Errors set
// means the headers were read but some part was not.
func Parse(r io.ReaderAt, size int64) (info *Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("corrupt PE: %v", p)
		}
	}()
	var mz [2]byte
	if _, err := r.ReadAt(mz[:], 0); err != nil || string(mz[:]) != "MZ" {
		return nil, fmt.Errorf("offset 0: %w", ErrNotPE)
	}
	f, err := pe.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	defer f.Close()
	info = &Info{Machine: machine(f.Machine)}

	var dirs []pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		dirs = oh.DataDirectory[:min(int(oh.NumberOfRvaAndSizes), len(oh.DataDirectory))]
	case *pe.OptionalHeader64:
		dirs = oh.DataDirectory[:min(int(oh.NumberOfRvaAndSizes), len(oh.DataDirectory))]
	default:
		info.Errors = append(info.Errors, "no optional header: not an image")
		return info, nil
	}
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
		if d := dirs[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]; d.VirtualAddress != 0 && d.Size != 0 {
			if err := info.readVersion(r, size, f, d); err != nil && err != errNoVersion {
				info.Errors = append(info.Errors, "version resource: "+err.Error())
			}
		}
	}
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_SECURITY {
		if d := dirs[pe.IMAGE_DIRECTORY_ENTRY_SECURITY]; d.VirtualAddress != 0 && d.Size != 0 {
			if err := info.readCertTable(r, size, d); err != nil {
				info.Errors = append(info.Errors, "certificate table: "+err.Error())
			}
		}
	}
	return info, nil
}

func machine(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64"
	case pe.IMAGE_FILE_MACHINE_I386:
		return "386"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	case pe.IMAGE_FILE_MACHINE_ARMNT:
		return "arm"
	}
	return fmt.Sprintf("0x%04x", m)
}

// rvaToOffset maps an RVA to a file offset through the section table.
func rvaToOffset(f *pe.File, rva uint32) (int64, bool) {
	for _, s := range f.Sections {
		span := max(s.VirtualSize, s.Size)
		if rva >= s.VirtualAddress && rva < s.VirtualAddress+span {
			delta := rva - s.VirtualAddress
			if delta >= s.Size {
				return 0, false // in the zero-filled tail, not in the file
			}
			return int64(s.Offset) + int64(delta), true
		}
	}
	return 0, false
}

const rtVersion = 16

// readVersion walks the resource tree type → name → language to the first
// RT_VERSION entry and parses its VS_VERSIONINFO.
func (info *Info) readVersion(r io.ReaderAt, size int64, f *pe.File, d pe.DataDirectory) error {
	base, ok := rvaToOffset(f, d.VirtualAddress)
	if !ok {
		return fmt.Errorf("resource directory RVA 0x%x maps to no file offset (no section holds it)", d.VirtualAddress)
	}
	rd := &resReader{r: r, size: size, base: base}
	off, err := rd.find(0, rtVersion, true)
	if err == errNoEntry {
		return errNoVersion
	} else if err != nil {
		return err
	}
	if off, err = rd.find(off, 0, false); err != nil { // first name
		return err
	}
	// Language: neutral, then US English, then the first, as Windows'
	// GetFileVersionInfo does for an English UI.
	if off, err = rd.findLang(off, 0x0000, 0x0409, 0x0800, 0x0400); err != nil {
		return err
	}
	// IMAGE_RESOURCE_DATA_ENTRY: OffsetToData (RVA), Size, CodePage, Reserved.
	var de [8]byte
	if _, err := r.ReadAt(de[:], base+int64(off)); err != nil {
		return fmt.Errorf("data entry at offset 0x%x: %v", base+int64(off), err)
	}
	dataRVA := binary.LittleEndian.Uint32(de[0:])
	dataSize := binary.LittleEndian.Uint32(de[4:])
	if dataSize > maxVersionResource {
		return fmt.Errorf("data entry at offset 0x%x: %d bytes is too large", base+int64(off), dataSize)
	}
	pos, ok := rvaToOffset(f, dataRVA)
	if !ok || pos+int64(dataSize) > size {
		return fmt.Errorf("data entry at offset 0x%x: RVA 0x%x+%d is outside the file", base+int64(off), dataRVA, dataSize)
	}
	buf := make([]byte, dataSize)
	if _, err := r.ReadAt(buf, pos); err != nil {
		return fmt.Errorf("VS_VERSIONINFO at offset 0x%x: %v", pos, err)
	}
	return info.parseVersionInfo(buf, pos)
}

type resReader struct {
	r    io.ReaderAt
	size int64
	base int64
}

// find looks in the resource directory at dir (relative to the resource
// section) for an entry with the given integer id (byID) or the first entry,
// and returns its target offset (a subdirectory when the high bit was set).
func (rd *resReader) find(dir uint32, id uint32, byID bool) (uint32, error) {
	var hdr [16]byte
	at := rd.base + int64(dir)
	if _, err := rd.r.ReadAt(hdr[:], at); err != nil {
		return 0, fmt.Errorf("resource directory at offset 0x%x: %v", at, err)
	}
	named := int(binary.LittleEndian.Uint16(hdr[12:]))
	ids := int(binary.LittleEndian.Uint16(hdr[14:]))
	n := named + ids
	if n > maxResourceEntries {
		return 0, fmt.Errorf("resource directory at offset 0x%x: %d entries", at, n)
	}
	ents := make([]byte, 8*n)
	if _, err := rd.r.ReadAt(ents, at+16); err != nil {
		return 0, fmt.Errorf("resource entries at offset 0x%x: %v", at+16, err)
	}
	for i := 0; i < n; i++ {
		name := binary.LittleEndian.Uint32(ents[8*i:])
		target := binary.LittleEndian.Uint32(ents[8*i+4:])
		if byID && (name&0x80000000 != 0 || name != id) {
			continue
		}
		next := target &^ 0x80000000
		if next == dir || rd.base+int64(next) >= rd.size {
			return 0, fmt.Errorf("resource entry at offset 0x%x points to 0x%x", at+16+int64(8*i), next)
		}
		return next, nil
	}
	if byID {
		return 0, errNoEntry
	}
	return 0, fmt.Errorf("resource directory at offset 0x%x is empty", at)
}

var (
	errNoVersion = errors.New("no version resource")
	errNoEntry   = errors.New("no such resource entry")
)

// findLang returns the entry for the first preferred language id present in
// the directory, or its first entry.
func (rd *resReader) findLang(dir uint32, prefs ...uint32) (uint32, error) {
	for _, id := range prefs {
		if off, err := rd.find(dir, id, true); err == nil {
			return off, nil
		} else if err != errNoEntry {
			return 0, err
		}
	}
	return rd.find(dir, 0, false)
}

// versionBlock is one node of VS_VERSIONINFO: wLength, wValueLength, wType,
// szKey (UTF-16, NUL), padding to 4, Value, padding, children.
type versionBlock struct {
	key      string
	value    []byte // raw value bytes
	rest     []byte // from the value to the end of the block
	isText   bool
	children []byte
}

func align4(n int) int { return (n + 3) &^ 3 }

func parseBlock(b []byte) (blk versionBlock, total int, err error) {
	if len(b) < 6 {
		return blk, 0, errors.New("truncated block header")
	}
	length := int(binary.LittleEndian.Uint16(b))
	valueLen := int(binary.LittleEndian.Uint16(b[2:]))
	typ := binary.LittleEndian.Uint16(b[4:])
	if length < 6 || length > len(b) {
		return blk, 0, fmt.Errorf("block length %d outside 6..%d", length, len(b))
	}
	b = b[:length]
	// key
	i := 6
	var u []uint16
	for ; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			i += 2
			break
		}
		u = append(u, c)
	}
	blk.key = string(utf16.Decode(u))
	i = align4(i)
	blk.isText = typ == 1
	vbytes := valueLen
	if blk.isText {
		vbytes = valueLen * 2
	}
	if i > len(b) {
		i = len(b)
	}
	end := min(i+vbytes, len(b))
	blk.value = b[i:end]
	// Some linkers count a String's value in bytes, not characters, or
	// count wrong: strings are read from rest up to the first NUL instead.
	blk.rest = b[i:]
	if c := align4(end); c < len(b) {
		blk.children = b[c:]
	}
	return blk, length, nil
}

func utf16z(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return strings.TrimSpace(string(utf16.Decode(u)))
}

// eachChild calls fn for each child block of b (blocks are 4-aligned).
func eachChild(b []byte, fn func(versionBlock) error) error {
	for off := 0; off+6 <= len(b); {
		blk, n, err := parseBlock(b[off:])
		if err != nil {
			return fmt.Errorf("+0x%x: %w", off, err)
		}
		if err := fn(blk); err != nil {
			return err
		}
		off += align4(n)
	}
	return nil
}

func (info *Info) parseVersionInfo(b []byte, fileOff int64) error {
	root, _, err := parseBlock(b)
	if err != nil {
		return fmt.Errorf("VS_VERSIONINFO at offset 0x%x: %v", fileOff, err)
	}
	if root.key != "VS_VERSION_INFO" {
		return fmt.Errorf("VS_VERSIONINFO at offset 0x%x: key %q", fileOff, root.key)
	}
	var fixed string
	if len(root.value) >= 52 && binary.LittleEndian.Uint32(root.value) == 0xFEEF04BD {
		ms := binary.LittleEndian.Uint32(root.value[8:])
		ls := binary.LittleEndian.Uint32(root.value[12:])
		fixed = fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)
	}
	tables := map[string]map[string]string{}
	var order []string
	err = eachChild(root.children, func(sfi versionBlock) error {
		if sfi.key != "StringFileInfo" {
			return nil
		}
		// StringFileInfo has no value; its children start after the key.
		return eachChild(sfi.children, func(tbl versionBlock) error {
			m := map[string]string{}
			err := eachChild(tbl.children, func(s versionBlock) error {
				if s.key != "" {
					m[s.key] = utf16z(s.rest)
				}
				return nil
			})
			tables[strings.ToLower(tbl.key)] = m
			order = append(order, strings.ToLower(tbl.key))
			return err
		})
	})
	if err != nil {
		info.Errors = append(info.Errors, fmt.Sprintf("VS_VERSIONINFO at offset 0x%x: %v", fileOff, err))
	}
	var chosen map[string]string
	for _, pref := range []string{"040904b0", "040904e4", "000004b0", "000004e4"} {
		if m, ok := tables[pref]; ok && len(m) > 0 {
			chosen = m
			break
		}
	}
	if chosen == nil {
		for _, k := range order {
			if len(tables[k]) > 0 {
				chosen = tables[k]
				break
			}
		}
	}
	info.Strings = chosen
	info.OriginalFilename = chosen["OriginalFilename"]
	info.CompanyName = chosen["CompanyName"]
	info.ProductName = chosen["ProductName"]
	info.FileVersion = chosen["FileVersion"]
	info.ProductVersion = chosen["ProductVersion"]
	info.FileDescription = chosen["FileDescription"]
	info.InternalName = chosen["InternalName"]
	if info.FileVersion == "" {
		info.FileVersion = fixed
	}
	return nil
}
