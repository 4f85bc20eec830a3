package hive

import "io"

// pageCache is a ReaderAt that reads its underlying file in 4 KiB pages and
// keeps up to maxPages of them: the hive parser reads a few bytes at a time
// (value data one byte per call), which would otherwise be one system call
// per byte.
type pageCache struct {
	r        io.ReaderAt
	size     int64
	pages    map[int64][]byte
	maxPages int
}

const pageSize = 4096

func newPageCache(r io.ReaderAt, size int64) *pageCache {
	return &pageCache{r: r, size: size, pages: map[int64][]byte{}, maxPages: 8192}
}

func (c *pageCache) page(n int64) ([]byte, error) {
	if p, ok := c.pages[n]; ok {
		return p, nil
	}
	if len(c.pages) >= c.maxPages {
		clear(c.pages)
	}
	buf := make([]byte, pageSize)
	got, err := c.r.ReadAt(buf, n*pageSize)
	if got < pageSize && err != nil && err != io.EOF {
		return nil, err
	}
	buf = buf[:got]
	c.pages[n] = buf
	return buf, nil
}

func (c *pageCache) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, io.EOF
	}
	done := 0
	for done < len(b) {
		pos := off + int64(done)
		if pos >= c.size {
			return done, io.EOF
		}
		p, err := c.page(pos / pageSize)
		if err != nil {
			return done, err
		}
		in := int(pos % pageSize)
		if in >= len(p) {
			return done, io.EOF
		}
		done += copy(b[done:], p[in:])
	}
	return done, nil
}
