package capture

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
)

// ErrUnknownInterface is returned (wrapped, with the list of devices) when
// Options.Interface names no capture device.
var ErrUnknownInterface = errors.New("unknown capture interface")

// device is one capture device as the platform lists it.
type device struct {
	Name        string // what the capture library opens: \Device\NPF_{…}, en0
	Friendly    string // Windows connection name ("Ethernet", "Wi-Fi"), if known
	Description string // e.g. "Intel(R) Ethernet Connection I219-V"
	Loopback    bool
}

func (d device) String() string {
	s := d.Name
	if d.Friendly != "" && d.Friendly != d.Name {
		s += fmt.Sprintf(" %q", d.Friendly)
	}
	if d.Description != "" && d.Description != d.Name && d.Description != d.Friendly {
		s += " (" + d.Description + ")"
	}
	if d.Loopback {
		s += " [loopback]"
	}
	return s
}

// listDevices formats devices for an error message.
func listDevices(devs []device) string {
	if len(devs) == 0 {
		return "no capture devices found"
	}
	parts := make([]string, len(devs))
	for i, d := range devs {
		parts[i] = d.String()
	}
	return "devices: " + strings.Join(parts, "; ")
}

// pickDevice finds the device the user means by want, in this order: the
// exact device name; the name ignoring case; a GUID ("{…}" or "NPF_{…}")
// that ends a device name; the connection (friendly) name; the description;
// "lo" / "lo0" / "loopback" for the loopback device. A friendly name or
// description shared by several devices is ambiguous. The error lists the
// devices.
//
// No name means the interface of the default route (defaultRoute): what a
// responder capturing on the suspect PC wants, its connection outside.
func pickDevice(want string, devs []device) (device, error) {
	if want == "" {
		name := defaultRoute()
		if name == "" {
			return device{}, fmt.Errorf("%w: no interface given (--iface) and no default route to take one from; %s", ErrUnknownInterface, listDevices(devs))
		}
		d, err := pickDevice(name, devs)
		if err != nil {
			return device{}, fmt.Errorf("%w: no interface given (--iface), and the default route's interface %q is no capture device; %s", ErrUnknownInterface, name, listDevices(devs))
		}
		return d, nil
	}
	for _, d := range devs {
		if d.Name == want {
			return d, nil
		}
	}
	type field func(device) string
	fields := []field{
		func(d device) string { return d.Name },
		nil, // GUID suffix
		func(d device) string { return d.Friendly },
		func(d device) string { return d.Description },
	}
	for i, f := range fields {
		var hits []device
		for _, d := range devs {
			switch {
			case f == nil:
				if g := guidOf(want); g != "" && strings.HasSuffix(strings.ToLower(d.Name), strings.ToLower(g)) {
					hits = append(hits, d)
				}
			case f(d) != "" && strings.EqualFold(f(d), want):
				hits = append(hits, d)
			}
		}
		if len(hits) == 1 {
			return hits[0], nil
		}
		if len(hits) > 1 && i > 0 {
			return device{}, fmt.Errorf("%w: %q is ambiguous (%d devices); name the device; %s", ErrUnknownInterface, want, len(hits), listDevices(hits))
		}
	}
	switch strings.ToLower(want) {
	case "lo", "lo0", "loopback":
		for _, d := range devs {
			if d.Loopback {
				return d, nil
			}
		}
	}
	return device{}, fmt.Errorf("%w %q; %s", ErrUnknownInterface, want, listDevices(devs))
}

// guidOf returns "{…}" when s is a bare GUID in braces or "NPF_{…}", else "".
func guidOf(s string) string {
	s = strings.TrimPrefix(s, "NPF_")
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		return s
	}
	return ""
}

// linkTypeOfDLT maps a DLT_ value (pcap_datalink, BIOCGDLT) to the pcap
// LINKTYPE_ written to files and given to the decoder. They are equal except
// DLT_RAW, 12 on every platform supported here, which is LINKTYPE_RAW (101).
func linkTypeOfDLT(dlt int) uint32 {
	if dlt == 12 {
		return decode.LinkRaw
	}
	return uint32(dlt)
}

// defaultRoute names the interface of the default route, "" when there is
// none. A variable so tests can give one.
var defaultRoute = defaultRouteInterface

// defaultRouteInterface finds the interface holding the source address the
// system picks for a destination outside (documentation addresses, IPv4
// then IPv6): a UDP "connect" only looks up the route, it sends nothing.
// On Windows the name is the connection name ("Ethernet"), which
// pickDevice matches against Npcap's friendly names.
func defaultRouteInterface() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, dst := range []string{"192.0.2.1:9", "[2001:db8::1]:9"} {
		c, err := net.Dial("udp", dst)
		if err != nil {
			continue
		}
		la, _ := c.LocalAddr().(*net.UDPAddr)
		c.Close()
		if la == nil || la.IP.IsLoopback() {
			continue
		}
		for _, ifc := range ifs {
			addrs, _ := ifc.Addrs()
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && n.IP.Equal(la.IP) {
					return ifc.Name
				}
			}
		}
	}
	return ""
}
