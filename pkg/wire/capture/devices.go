package capture

import (
	"errors"
	"fmt"
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
func pickDevice(want string, devs []device) (device, error) {
	if want == "" {
		return device{}, fmt.Errorf("%w: no interface given (--iface); %s", ErrUnknownInterface, listDevices(devs))
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
