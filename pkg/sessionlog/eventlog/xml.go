package eventlog

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxEventXML bounds one <Event> element; larger ones are skipped.
const maxEventXML = 8 << 20

// headText returns the start of a file as UTF-8 text (decoding UTF-16LE), or
// false when it does not look like text.
func headText(head []byte) ([]byte, bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return head[3:], true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return utf16Head(head[2:]), true
	case len(head) >= 2 && head[0] != 0 && head[1] == 0:
		return utf16Head(head), true
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, false
	}
	return head, true
}

func utf16Head(b []byte) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return []byte(string(utf16.Decode(u)))
}

// findEventStart finds "<Event" followed by a delimiter (or "<Events").
func findEventStart(text []byte) int {
	base := 0
	for {
		i := bytes.Index(text[base:], []byte("<Event"))
		if i < 0 {
			return -1
		}
		j := base + i + len("<Event")
		if j >= len(text) || isDelim(text[j]) || text[j] == 's' {
			return base + i
		}
		base = j
	}
}

func isDelim(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '>', '/':
		return true
	}
	return false
}

// byteSource yields the file as UTF-8 bytes and knows where in the file the
// character holding the last byte started.
type byteSource interface {
	ReadByte() (byte, error)
	charOff() int64
}

type utf8Source struct {
	r   *bufio.Reader
	off int64
}

func (s *utf8Source) ReadByte() (byte, error) {
	b, err := s.r.ReadByte()
	if err == nil {
		s.off++
	}
	return b, err
}
func (s *utf8Source) charOff() int64 { return s.off - 1 }

type utf16Source struct {
	r       *bufio.Reader
	off     int64 // offset of the next unread byte
	start   int64 // offset of the current character
	pending [utf8.UTFMax]byte
	n, i    int
}

func (s *utf16Source) unit() (uint16, error) {
	lo, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	hi, err := s.r.ReadByte()
	if err != nil {
		return 0, io.EOF
	}
	s.off += 2
	return uint16(lo) | uint16(hi)<<8, nil
}

func (s *utf16Source) ReadByte() (byte, error) {
	if s.i < s.n {
		s.i++
		return s.pending[s.i-1], nil
	}
	s.start = s.off
	u, err := s.unit()
	if err != nil {
		return 0, err
	}
	r := rune(u)
	if utf16.IsSurrogate(r) {
		if u2, err := s.unit(); err == nil {
			r = utf16.DecodeRune(r, rune(u2))
		} else {
			r = utf8.RuneError
		}
	}
	s.n = utf8.EncodeRune(s.pending[:], r)
	s.i = 1
	return s.pending[0], nil
}
func (s *utf16Source) charOff() int64 { return s.start }

// readXML splits the stream into <Event>…</Event> elements without building a
// document, so an <Events> export of any size is read in constant memory, and
// one broken element (missing end tag, stray text, a typo in a tag) does not
// stop the others.
func (c *collector) readXML(br *bufio.Reader, head []byte) error {
	var src byteSource
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		src = &utf8Source{r: br, off: 3}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		br.Discard(2)
		src = &utf16Source{r: br, off: 2}
	case len(head) >= 2 && head[0] != 0 && head[1] == 0:
		src = &utf16Source{r: br}
	default:
		src = &utf8Source{r: br}
	}

	var (
		win            [8]byte
		in, overflow   bool
		seg            []byte
		segOff, ltOff  int64
		segLine, ltLin int
		line           = 1
	)
	emit := func(b []byte, closed bool) {
		if overflow {
			c.errorf(segLine, segOff, fmt.Sprintf("<Event> element larger than %d bytes skipped", maxEventXML))
		} else {
			c.xmlEvent(b, segOff, segLine, closed)
		}
		overflow = false
	}
	for {
		b, err := src.ReadByte()
		if err != nil {
			break
		}
		if b == '<' {
			ltOff, ltLin = src.charOff(), line
		}
		if b == '\n' {
			line++
		}
		if in {
			if len(seg) < maxEventXML {
				seg = append(seg, b)
			} else {
				overflow = true
			}
		}
		copy(win[:], win[1:])
		win[7] = b
		if !isDelim(b) {
			continue
		}
		switch {
		case in && string(win[:7]) == "</Event":
			emit(seg, true)
			in, seg = false, seg[:0]
		case string(win[1:7]) == "<Event":
			if in {
				// The previous element never closed.
				emit(seg[:max(0, len(seg)-7)], false)
			}
			in = true
			seg = append(seg[:0], "<Event"...)
			seg = append(seg, b)
			segOff, segLine = ltOff, ltLin
		}
	}
	if in {
		emit(seg, false)
	}
	return nil
}

// xmlEvent decodes one <Event> element.
func (c *collector) xmlEvent(seg []byte, off int64, line int, closed bool) {
	// "<Event\n<System>" (a '>' missing, as in one EvtxECmd map example):
	// never valid XML, so restoring the '>' cannot misread a valid file.
	if rest := bytes.TrimLeft(seg[len("<Event"):], " \t\r\n"); len(rest) > 0 && rest[0] == '<' && len(rest) < len(seg)-len("<Event") {
		seg = append([]byte("<Event>"), rest...)
		c.errorf(line, off, "malformed <Event tag (no '>'), read as <Event>")
	}
	if closed && seg[len(seg)-1] != '>' {
		// "</Event" followed by a space or newline: same kind of typo.
		seg = append(seg[:len(seg)-1:len(seg)-1], '>')
		c.errorf(line, off, "malformed </Event tag (no '>'), read as </Event>")
	}
	e := &event{Offset: off, Line: line}
	var (
		stack    []string
		hasChild []bool
		text     strings.Builder
		dataName string
		gotID    bool
		synErr   error
	)
	d := xml.NewDecoder(bytes.NewReader(seg))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				synErr = err
			}
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(hasChild) > 0 {
				hasChild[len(hasChild)-1] = true
			}
			stack = append(stack, t.Name.Local)
			hasChild = append(hasChild, false)
			text.Reset()
			parent := ""
			if len(stack) >= 2 {
				parent = stack[len(stack)-2]
			}
			switch {
			case parent == "System" && t.Name.Local == "Provider":
				e.Provider = attr(t, "Name")
				if e.Provider == "" {
					e.Provider = attr(t, "EventSourceName")
				}
			case parent == "System" && t.Name.Local == "TimeCreated":
				if tm, ok := parseSystemTime(attr(t, "SystemTime")); ok {
					e.Time = tm
				}
			case parent == "EventData" && t.Name.Local == "Data":
				dataName = attr(t, "Name")
			}
		case xml.CharData:
			if text.Len() < maxEventXML {
				text.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			n := len(stack)
			name, leaf := stack[n-1], !hasChild[n-1]
			parent := ""
			if n >= 2 {
				parent = stack[n-2]
			}
			val := strings.TrimSpace(text.String())
			switch {
			case parent == "System":
				switch name {
				case "EventID":
					if v, ok := parseUint(val); ok && v <= 1<<32-1 {
						e.ID, gotID = uint32(v), true
					}
				case "EventRecordID":
					if v, ok := parseUint(val); ok {
						e.RecordID = v
					}
				case "Channel":
					e.Channel = val
				case "Computer":
					e.Computer = val
				}
			case parent == "EventData" && name == "Data":
				e.Fields = append(e.Fields, field{Name: dataName, Value: val})
				dataName = ""
			case n >= 3 && stack[1] == "UserData" && leaf:
				e.Fields = append(e.Fields, field{Name: name, Value: val})
			case parent == "RenderingInfo" && name == "Message":
				e.Message = val
			}
			stack, hasChild = stack[:n-1], hasChild[:n-1]
			text.Reset()
		}
	}
	if !gotID {
		msg := "<Event> without System/EventID skipped"
		if synErr != nil {
			msg += ": " + synErr.Error()
		}
		c.errorf(line, off, msg)
		return
	}
	c.seen(e.Time)
	if !closed {
		c.errorf(line, off, "<Event> element not closed; read up to where it stops")
	} else if synErr != nil {
		c.errorf(line, off, "event XML: "+synErr.Error())
	}
	c.keep(e)
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
