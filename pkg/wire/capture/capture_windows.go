//go:build windows

package capture

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

const notPermittedText = "live capture needs administrator rights (Npcap may be installed for administrators only: run as administrator)"

// pcap_activate results (pcap/pcap.h).
const (
	pcapErrorNoSuchDevice      = -5
	pcapErrorPermDenied        = -8
	pcapErrorIfaceNotUp        = -9
	pcapErrorPromiscPermDenied = -11
	pcapIfLoopback             = 0x1
	pcapErrbufSize             = 256
)

// pcapPkthdr is struct pcap_pkthdr on Windows: struct timeval is two 32-bit
// longs there.
type pcapPkthdr struct {
	Sec    int32
	Usec   int32
	Caplen uint32
	Len    uint32
}

// pcapIf is struct pcap_if.
type pcapIf struct {
	Next        *pcapIf
	Name        *byte
	Description *byte
	Addresses   uintptr
	Flags       uint32
}

// wpcap holds the resolved entry points of wpcap.dll.
type wpcap struct {
	path string
	// required
	create, setSnaplen, setPromisc, setTimeout, activate, datalink,
	nextEx, breakloop, stats, geterr, close, findalldevs, freealldevs uintptr
	// optional (absent from WinPcap and from Wine's wpcap)
	setImmediate, libVersion uintptr
}

var (
	wpcapOnce sync.Once
	wpcapLib  *wpcap
	wpcapErr  error
)

// loadWpcap loads wpcap.dll once: Npcap's own folder first
// (%SystemRoot%\System32\Npcap, its default install), then System32 (Npcap's
// WinPcap-compatible mode, WinPcap, Wine's wpcap). Never the current or the
// executable's folder.
func loadWpcap() (*wpcap, error) {
	wpcapOnce.Do(func() { wpcapLib, wpcapErr = doLoadWpcap() })
	return wpcapLib, wpcapErr
}

func doLoadWpcap() (*wpcap, error) {
	sys, err := windows.GetSystemDirectory()
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	npcap := filepath.Join(sys, "Npcap", "wpcap.dll")
	// LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR: Packet.dll next to Npcap's wpcap.dll.
	h, err := windows.LoadLibraryEx(npcap, 0, windows.LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR|windows.LOAD_LIBRARY_SEARCH_SYSTEM32)
	path := npcap
	if err != nil {
		var err2 error
		path = filepath.Join(sys, "wpcap.dll")
		if h, err2 = windows.LoadLibraryEx("wpcap.dll", 0, windows.LOAD_LIBRARY_SEARCH_SYSTEM32); err2 != nil {
			return nil, fmt.Errorf("%w: install Npcap from https://npcap.com (wpcap.dll not loadable from %s: %v, nor %s: %v)",
				ErrNoDriver, npcap, err, path, err2)
		}
	}
	l := &wpcap{path: path}
	var missing []string
	for _, p := range []struct {
		name     string
		dst      *uintptr
		optional bool
	}{
		{"pcap_create", &l.create, false},
		{"pcap_set_snaplen", &l.setSnaplen, false},
		{"pcap_set_promisc", &l.setPromisc, false},
		{"pcap_set_timeout", &l.setTimeout, false},
		{"pcap_activate", &l.activate, false},
		{"pcap_datalink", &l.datalink, false},
		{"pcap_next_ex", &l.nextEx, false},
		{"pcap_breakloop", &l.breakloop, false},
		{"pcap_stats", &l.stats, false},
		{"pcap_geterr", &l.geterr, false},
		{"pcap_close", &l.close, false},
		{"pcap_findalldevs", &l.findalldevs, false},
		{"pcap_freealldevs", &l.freealldevs, false},
		{"pcap_set_immediate_mode", &l.setImmediate, true},
		{"pcap_lib_version", &l.libVersion, true},
	} {
		a, err := windows.GetProcAddress(h, p.name)
		if err != nil {
			if !p.optional {
				missing = append(missing, p.name)
			}
			continue
		}
		*p.dst = a
	}
	if len(missing) > 0 {
		windows.FreeLibrary(h)
		return nil, fmt.Errorf("%w: %s lacks %s (too old: install Npcap from https://npcap.com)", ErrNoDriver, path, strings.Join(missing, ", "))
	}
	return l, nil
}

// call runs a wpcap function. C int results are 32 bits: the upper half of
// the register is not part of the value.
func call(fn uintptr, args ...uintptr) uintptr {
	r, _, _ := syscall.SyscallN(fn, args...)
	return r
}

func callInt(fn uintptr, args ...uintptr) int32 { return int32(call(fn, args...)) }

// cString copies a NUL-terminated C string that wpcap owns.
func cString(p uintptr) string {
	if p == 0 {
		return ""
	}
	return windows.BytePtrToString(*(**byte)(unsafe.Pointer(&p)))
}

func errbufString(b []byte) string {
	return strings.TrimSpace(windows.ByteSliceToString(b))
}

// version is pcap_lib_version(), e.g. "Npcap version 1.79, based on libpcap
// version 1.10.4", or the DLL path when the function is missing.
func (l *wpcap) version() string {
	if l.libVersion != 0 {
		if v := cString(call(l.libVersion)); v != "" {
			return v
		}
	}
	return l.path
}

// devices lists what pcap_findalldevs returns, with the Windows connection
// name of each adapter (GetAdaptersAddresses, matched on the GUID).
func (l *wpcap) devices() ([]device, error) {
	var all *pcapIf
	var errbuf [pcapErrbufSize]byte
	if callInt(l.findalldevs, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&errbuf[0]))) != 0 {
		msg := errbufString(errbuf[:])
		if isAccessDenied(msg) {
			return nil, fmt.Errorf("listing devices: %w (%s)", ErrNotPermitted, msg)
		}
		return nil, fmt.Errorf("listing devices: %s", msg)
	}
	defer call(l.freealldevs, uintptr(unsafe.Pointer(all)))
	friendly := adapterNames()
	var devs []device
	for d := all; d != nil; d = d.Next {
		dev := device{
			Name:        windows.BytePtrToString(d.Name),
			Description: windows.BytePtrToString(d.Description),
			Loopback:    d.Flags&pcapIfLoopback != 0 || strings.EqualFold(windows.BytePtrToString(d.Name), `\Device\NPF_Loopback`),
		}
		if i := strings.LastIndexByte(dev.Name, '{'); i >= 0 {
			dev.Friendly = friendly[strings.ToLower(dev.Name[i:])]
		}
		devs = append(devs, dev)
	}
	return devs, nil
}

// adapterNames maps "{guid}" (lower case) to the adapter's connection name.
func adapterNames() map[string]string {
	m := map[string]string{}
	size := uint32(16 << 10)
	for range 3 {
		buf := make([]byte, size)
		first := (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0]))
		err := windows.GetAdaptersAddresses(windows.AF_UNSPEC, windows.GAA_FLAG_INCLUDE_ALL_INTERFACES|
			windows.GAA_FLAG_SKIP_UNICAST|windows.GAA_FLAG_SKIP_ANYCAST|windows.GAA_FLAG_SKIP_MULTICAST|windows.GAA_FLAG_SKIP_DNS_SERVER,
			0, first, &size)
		if err == windows.ERROR_BUFFER_OVERFLOW {
			continue
		}
		if err != nil {
			return m
		}
		for a := first; a != nil; a = a.Next {
			m[strings.ToLower(windows.BytePtrToString(a.AdapterName))] = windows.UTF16PtrToString(a.FriendlyName)
		}
		return m
	}
	return m
}

func isAccessDenied(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "access is denied") || strings.Contains(m, "access denied") ||
		strings.Contains(m, "permission") || strings.Contains(m, "not permitted")
}

// Handle is an open Npcap (wpcap) capture on one device.
type Handle struct {
	lib      *wpcap
	p        uintptr // pcap_t *
	device   device
	linkType uint32
	snapLen  int
	opts     Options
	out      *writer
}

// Open loads wpcap.dll, finds the device and activates a capture on it.
// Errors: ErrNoDriver (Npcap missing), ErrNotPermitted (not administrator
// with an admin-only Npcap), ErrUnknownInterface (listing the devices).
func Open(opts Options) (*Handle, error) {
	lib, err := loadWpcap()
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	devs, err := lib.devices()
	if err != nil {
		return nil, fmt.Errorf("capture (%s): %w", lib.version(), err)
	}
	dev, err := pickDevice(opts.Interface, devs)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if opts.Interface == "" { // the default route's, named for the report
		opts.Interface = dev.Name
		if dev.Friendly != "" {
			opts.Interface = dev.Friendly
		}
	}
	h := &Handle{lib: lib, device: dev, opts: opts, snapLen: opts.SnapLen}
	if h.snapLen <= 0 {
		h.snapLen = 262144
	}
	name, err := windows.BytePtrFromString(dev.Name)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	var errbuf [pcapErrbufSize]byte
	h.p = call(lib.create, uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&errbuf[0])))
	if h.p == 0 {
		msg := errbufString(errbuf[:])
		if isAccessDenied(msg) {
			return nil, fmt.Errorf("capture on %s: %w (%s)", dev.Name, ErrNotPermitted, msg)
		}
		return nil, fmt.Errorf("capture on %s: pcap_create: %s", dev.Name, msg)
	}
	promisc := uintptr(0)
	if opts.Promiscuous {
		promisc = 1
	}
	callInt(lib.setSnaplen, h.p, uintptr(h.snapLen))
	callInt(lib.setPromisc, h.p, promisc)
	callInt(lib.setTimeout, h.p, uintptr(readTimeout.Milliseconds()))
	if lib.setImmediate != 0 {
		callInt(lib.setImmediate, h.p, 1)
	}
	if rc := callInt(lib.activate, h.p); rc < 0 {
		msg := cString(call(lib.geterr, h.p))
		call(lib.close, h.p)
		switch {
		case rc == pcapErrorPermDenied || rc == pcapErrorPromiscPermDenied || isAccessDenied(msg):
			return nil, fmt.Errorf("capture on %s: %w (%s)", dev.Name, ErrNotPermitted, msg)
		case rc == pcapErrorNoSuchDevice:
			return nil, fmt.Errorf("capture on %s: %w (%s); %s", dev.Name, ErrUnknownInterface, msg, listDevices(devs))
		case rc == pcapErrorIfaceNotUp:
			return nil, fmt.Errorf("capture on %s: interface is down (%s)", dev.Name, msg)
		}
		return nil, fmt.Errorf("capture on %s: pcap_activate %d: %s", dev.Name, rc, msg)
	}
	h.linkType = linkTypeOfDLT(int(callInt(lib.datalink, h.p)))
	if h.out, err = openWriter(opts.WritePath, h.linkType, h.snapLen); err != nil {
		call(lib.close, h.p)
		return nil, fmt.Errorf("capture: %w", err)
	}
	return h, nil
}

// LinkType is the pcap link type of the packets delivered (Ethernet, or
// BSD NULL on \Device\NPF_Loopback).
func (h *Handle) LinkType() uint32 { return h.linkType }

// Device is the Npcap device name opened (\Device\NPF_{…}).
func (h *Handle) Device() string { return h.device.Name }

// Run reads packets until the context ends or Options.Duration elapses.
func (h *Handle) Run(ctx context.Context, fn Handler) (Stats, error) {
	var st Stats
	var deadline time.Time
	if h.opts.Duration > 0 {
		deadline = time.Now().Add(h.opts.Duration)
	}
	// The read timeout is not enough to stop: libpcap on Linux (under Wine's
	// wpcap) blocks in pcap_next_ex until a packet arrives, whatever the
	// timeout. pcap_breakloop, made for this, wakes it up (it returns -2).
	// The watcher is gone before Run returns, so never races pcap_close.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var expire <-chan time.Time
		if !deadline.IsZero() {
			tm := time.NewTimer(time.Until(deadline))
			defer tm.Stop()
			expire = tm.C
		}
		select {
		case <-ctx.Done():
		case <-expire:
		case <-stop:
			return
		}
		call(h.lib.breakloop, h.p)
	}()
	defer wg.Wait()
	defer close(stop)
	for {
		if ctx.Err() != nil || !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		var hdr *pcapPkthdr
		var data *byte
		rc := callInt(h.lib.nextEx, h.p, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data)))
		if rc == 0 {
			continue // read timeout
		}
		if rc == -2 {
			break // pcap_breakloop
		}
		if rc != 1 {
			return st, fmt.Errorf("capture: read %s: %s", h.device.Name, cString(call(h.lib.geterr, h.p)))
		}
		if hdr == nil || data == nil && hdr.Caplen > 0 {
			return st, errors.New("capture: pcap_next_ex returned no packet")
		}
		// tv_sec is a 32-bit long: read as unsigned, it lasts until 2106.
		t := time.Unix(int64(uint32(hdr.Sec)), int64(hdr.Usec)*1000).UTC()
		n := int(min(hdr.Caplen, uint32(h.snapLen)))
		var pkt []byte
		if n > 0 {
			pkt = unsafe.Slice(data, n)
		}
		orig := int(max(hdr.Len, hdr.Caplen))
		st.Packets++
		st.Bytes += uint64(orig)
		if h.out != nil {
			if err := h.out.w.WritePacket(t, pkt, orig); err != nil {
				return st, fmt.Errorf("capture: write %s: %w", h.opts.WritePath, err)
			}
		}
		fn(h.linkType, t, pkt)
	}
	// struct pcap_stat: ps_recv, ps_drop, ps_ifdrop, then (Windows) ps_capt,
	// ps_sent, ps_netdrop; room to spare for other layouts.
	var ps [16]uint32
	if callInt(h.lib.stats, h.p, uintptr(unsafe.Pointer(&ps[0]))) == 0 {
		st.Dropped = uint64(ps[1]) + uint64(ps[2])
	}
	return st, nil
}

// Close closes the capture and flushes the output file.
func (h *Handle) Close() error {
	err := h.out.close()
	if h.p != 0 {
		call(h.lib.close, h.p)
		h.p = 0
	}
	return err
}
