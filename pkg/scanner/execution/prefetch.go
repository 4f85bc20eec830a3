package execution

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/inventory"
	prefetch "www.velocidex.com/golang/go-prefetch"
)

// Prefetch limits: real .pf files are tens of KiB compressed and well under
// a MiB decompressed.
const (
	maxPrefetchFile = 8 << 20
	maxPrefetchData = 32 << 20
)

// ParsePrefetch reads one .pf file (Windows XP to 11, MAM-compressed or
// not) with www.velocidex.com/golang/go-prefetch, after checking the counts
// and sizes it would trust so a corrupt file cannot make it allocate or loop
// without bound. name is the path recorded as Source.
func ParsePrefetch(r io.Reader, name string) (ex inventory.Execution, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: corrupt prefetch file: %v", name, p)
		}
	}()
	raw, err := io.ReadAll(io.LimitReader(r, maxPrefetchFile+1))
	if err != nil {
		return ex, fmt.Errorf("%s: %v", name, err)
	}
	if len(raw) > maxPrefetchFile {
		return ex, fmt.Errorf("%s: larger than %d bytes", name, maxPrefetchFile)
	}
	data := raw
	if len(raw) >= 8 && string(raw[:4]) == "MAM\x04" {
		size := binary.LittleEndian.Uint32(raw[4:])
		if size < 0x54 || size > maxPrefetchData {
			return ex, fmt.Errorf("%s: offset 4: MAM header announces %d decompressed bytes", name, size)
		}
		data, err = prefetch.LZXpressHuffmanDecompress(raw[8:], int(size))
		if err != nil {
			return ex, fmt.Errorf("%s: offset 8: decompressing: %v", name, err)
		}
	} else if len(raw) >= 4 && string(raw[:3]) == "MAM" {
		return ex, fmt.Errorf("%s: offset 0: unsupported compression %q", name, raw[:4])
	}
	if err := checkSCCA(data); err != nil {
		return ex, fmt.Errorf("%s: %v", name, err)
	}
	info, err := prefetch.LoadPrefetch(bytes.NewReader(data))
	if err != nil {
		return ex, fmt.Errorf("%s: %v", name, err)
	}
	ex = inventory.Execution{Name: info.Executable, RunCount: int(info.RunCount), Source: name, Kind: inventory.ExecPrefetch}
	ex.Path = info.Path
	if !strings.HasPrefix(ex.Path, `\`) {
		// Older formats: the executable is among the files it loaded.
		for _, f := range info.FilesAccessed {
			if strings.HasSuffix(strings.ToUpper(f), `\`+strings.ToUpper(info.Executable)) {
				ex.Path = f
				break
			}
		}
	}
	for _, t := range info.LastRunTimes {
		if t.Year() > 1601 && t.Unix() > 0 {
			ex.Times = append(ex.Times, t.UTC())
		}
	}
	sort.Slice(ex.Times, func(i, j int) bool { return ex.Times[i].After(ex.Times[j]) })
	return ex, nil
}

// checkSCCA validates an uncompressed prefetch header and its file-metrics
// array against the buffer before the library walks them.
func checkSCCA(d []byte) error {
	if len(d) < 0x54+0x80 || string(d[4:8]) != "SCCA" {
		return errors.New("offset 4: not a prefetch file (no SCCA signature)")
	}
	version := binary.LittleEndian.Uint32(d)
	// Entry size and where the name offset / length sit in an entry, as
	// go-prefetch reads them (V17 for XP, V30 layout for every later one).
	var entry, nameAt int64
	switch version {
	case 17:
		entry, nameAt = 20, 8
	case 23, 26, 30, 31:
		entry, nameAt = 32, 12
	default:
		return fmt.Errorf("offset 0: unknown prefetch version %d", version)
	}
	le := binary.LittleEndian
	metricsOff := int64(le.Uint32(d[0x54:]))
	count := int64(le.Uint32(d[0x58:]))
	namesOff := int64(le.Uint32(d[0x64:]))
	namesSize := int64(le.Uint32(d[0x68:]))
	size := int64(len(d))
	if metricsOff+count*entry > size {
		return fmt.Errorf("offset 0x58: %d file metrics at 0x%x run past the %d-byte data", count, metricsOff, size)
	}
	if namesOff+namesSize > size {
		return fmt.Errorf("offset 0x64: filename strings at 0x%x+%d run past the %d-byte data", namesOff, namesSize, size)
	}
	for i := int64(0); i < count; i++ {
		e := metricsOff + i*entry
		off := int64(le.Uint32(d[e+nameAt:]))
		n := int64(le.Uint32(d[e+nameAt+4:])) * 2
		if namesOff+off+n > size {
			return fmt.Errorf("offset 0x%x: file metric %d names %d bytes at 0x%x outside the string table", e, i, n, off)
		}
	}
	return nil
}
