package vncwin

import "bytes"

// trigger finds any of a fixed set of keywords in one pass over a line: a
// 64 Ki bit table of the keywords' first two bytes, then a prefix compare at
// the positions whose pair matches. No allocation; used to skip the lines of
// no interest cheaply.
type trigger struct {
	bits  [1 << 16 / 64]uint64
	index [1 << 16]uint8
	group [][][]byte
}

func newTrigger(words ...string) *trigger {
	t := &trigger{}
	by := map[uint16][][]byte{}
	var order []uint16
	for _, w := range words {
		p := uint16(w[0])<<8 | uint16(w[1])
		if _, ok := by[p]; !ok {
			order = append(order, p)
		}
		by[p] = append(by[p], []byte(w))
	}
	for _, p := range order {
		t.bits[p>>6] |= 1 << (p & 63)
		t.group = append(t.group, by[p])
		t.index[p] = uint8(len(t.group))
	}
	return t
}

func (t *trigger) any(msg []byte) bool {
	if len(msg) < 2 {
		return false
	}
	p := uint16(msg[0])
	for i := 1; i < len(msg); i++ {
		p = p<<8 | uint16(msg[i])
		if t.bits[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for _, w := range t.group[t.index[p]-1] {
			if bytes.HasPrefix(msg[i-1:], w) {
				return true
			}
		}
	}
	return false
}

// winvncWords cover every message parseWinVNC reacts to (case variants
// spelled out; anchors avoid byte pairs common in English, such as "in").
var winvncWords = newTrigger("accepted connection", "client connected", "client disconnected", "isconnected",
	"authentication failed", "Authentication failed", "nvalid password", "eject", "efused", "Connection received")
