package capture

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/ratwatch/ratwatch/pkg/wire/decode"
)

// npcapDevices is what Npcap lists on a Windows PC (names and descriptions
// as Npcap 1.7x reports them; connection names from GetAdaptersAddresses).
var npcapDevices = []device{
	{Name: `\Device\NPF_{4A5C1F1E-0D2B-4C53-9E7A-3B1A2C3D4E5F}`, Friendly: "Ethernet", Description: "Intel(R) Ethernet Connection (7) I219-V"},
	{Name: `\Device\NPF_{9B8C7D6E-1111-2222-3333-444455556666}`, Friendly: "Wi-Fi", Description: "Intel(R) Wi-Fi 6 AX201 160MHz"},
	{Name: `\Device\NPF_{0F0E0D0C-AAAA-BBBB-CCCC-DDDDEEEEFFFF}`, Friendly: "vEthernet (WSL)", Description: "Hyper-V Virtual Ethernet Adapter"},
	{Name: `\Device\NPF_{11111111-AAAA-BBBB-CCCC-DDDDEEEEFFFF}`, Friendly: "vEthernet (Default Switch)", Description: "Hyper-V Virtual Ethernet Adapter"},
	{Name: `\Device\NPF_Loopback`, Description: "Adapter for loopback traffic capture", Loopback: true},
}

func TestPickDevice(t *testing.T) {
	for _, c := range []struct{ want, name string }{
		{`\Device\NPF_{4A5C1F1E-0D2B-4C53-9E7A-3B1A2C3D4E5F}`, `\Device\NPF_{4A5C1F1E-0D2B-4C53-9E7A-3B1A2C3D4E5F}`},
		{`\device\npf_{4a5c1f1e-0d2b-4c53-9e7a-3b1a2c3d4e5f}`, `\Device\NPF_{4A5C1F1E-0D2B-4C53-9E7A-3B1A2C3D4E5F}`},
		{`{9b8c7d6e-1111-2222-3333-444455556666}`, `\Device\NPF_{9B8C7D6E-1111-2222-3333-444455556666}`},
		{`NPF_{9B8C7D6E-1111-2222-3333-444455556666}`, `\Device\NPF_{9B8C7D6E-1111-2222-3333-444455556666}`},
		{"Ethernet", `\Device\NPF_{4A5C1F1E-0D2B-4C53-9E7A-3B1A2C3D4E5F}`},
		{"wi-fi", `\Device\NPF_{9B8C7D6E-1111-2222-3333-444455556666}`},
		{"Intel(R) Wi-Fi 6 AX201 160MHz", `\Device\NPF_{9B8C7D6E-1111-2222-3333-444455556666}`},
		{"vEthernet (WSL)", `\Device\NPF_{0F0E0D0C-AAAA-BBBB-CCCC-DDDDEEEEFFFF}`},
		{`\Device\NPF_Loopback`, `\Device\NPF_Loopback`},
		{"Adapter for loopback traffic capture", `\Device\NPF_Loopback`},
		{"lo", `\Device\NPF_Loopback`},
		{"loopback", `\Device\NPF_Loopback`},
	} {
		d, err := pickDevice(c.want, npcapDevices)
		if err != nil || d.Name != c.name {
			t.Errorf("%q: %s, %v; want %s", c.want, d.Name, err, c.name)
		}
	}
	// Wine's wpcap: the connection names are the Linux interface names.
	wineDevs := []device{
		{Name: `\Device\NPF_{00000004-0000-0000-0000-4E6574446576}`, Friendly: "eth0"},
		{Name: `\Device\NPF_{00000001-0000-0000-0000-4E6574446576}`, Friendly: "lo", Loopback: true},
	}
	if d, err := pickDevice("lo", wineDevs); err != nil || d.Friendly != "lo" {
		t.Errorf("wine lo: %+v %v", d, err)
	}
	// macOS: BSD names only.
	if d, err := pickDevice("loopback", []device{{Name: "en0"}, {Name: "lo0", Loopback: true}}); err != nil || d.Name != "lo0" {
		t.Errorf("mac loopback: %+v %v", d, err)
	}
}

func TestPickDeviceErrors(t *testing.T) {
	_, err := pickDevice("eth9", npcapDevices)
	if !errors.Is(err, ErrUnknownInterface) {
		t.Fatalf("unknown: %v", err)
	}
	// The error lists every device, with connection name and description.
	msg := err.Error()
	for _, s := range []string{`unknown capture interface "eth9"`,
		`\Device\NPF_{4A5C1F1E-0D2B-4C53-9E7A-3B1A2C3D4E5F} "Ethernet" (Intel(R) Ethernet Connection (7) I219-V)`,
		`\Device\NPF_Loopback (Adapter for loopback traffic capture) [loopback]`} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q: %s", s, msg)
		}
	}
	// Two adapters share the description: ambiguous, both listed.
	_, err = pickDevice("hyper-v virtual ethernet adapter", npcapDevices)
	if !errors.Is(err, ErrUnknownInterface) || !strings.Contains(err.Error(), "ambiguous (2 devices)") || !strings.Contains(err.Error(), "vEthernet (WSL)") {
		t.Errorf("ambiguous: %v", err)
	}
	// No name and no default route: the list, so the user can pick.
	withDefaultRoute(t, "")
	_, err = pickDevice("", npcapDevices)
	if !errors.Is(err, ErrUnknownInterface) || !strings.Contains(err.Error(), "no interface given (--iface) and no default route") || !strings.Contains(err.Error(), "Wi-Fi") {
		t.Errorf("empty: %v", err)
	}
	// No name, and the default route's interface is no capture device.
	withDefaultRoute(t, "tun7")
	_, err = pickDevice("", npcapDevices)
	if !errors.Is(err, ErrUnknownInterface) || !strings.Contains(err.Error(), `the default route's interface "tun7" is no capture device`) {
		t.Errorf("default route not a device: %v", err)
	}
	if _, err = pickDevice("lo", nil); err == nil || !strings.Contains(err.Error(), "no capture devices found") {
		t.Errorf("no devices: %v", err)
	}
}

func TestLinkTypeOfDLT(t *testing.T) {
	for dlt, want := range map[int]uint32{0: decode.LinkNull, 1: decode.LinkEthernet, 12: decode.LinkRaw, 108: decode.LinkLoop, 113: decode.LinkLinuxSLL} {
		if got := linkTypeOfDLT(dlt); got != want {
			t.Errorf("DLT %d → %d, want %d", dlt, got, want)
		}
	}
}

// withDefaultRoute makes defaultRoute return name for the test.
func withDefaultRoute(t *testing.T, name string) {
	old := defaultRoute
	defaultRoute = func() string { return name }
	t.Cleanup(func() { defaultRoute = old })
}

// TestPickDefaultDevice: no interface named means the default route's,
// matched by device name (Linux, macOS) or connection name (Windows, where
// Go names interfaces by it).
func TestPickDefaultDevice(t *testing.T) {
	withDefaultRoute(t, "Wi-Fi")
	if d, err := pickDevice("", npcapDevices); err != nil || d.Name != `\Device\NPF_{9B8C7D6E-1111-2222-3333-444455556666}` {
		t.Errorf("windows default: %+v %v", d, err)
	}
	withDefaultRoute(t, "en0")
	if d, err := pickDevice("", []device{{Name: "lo0", Loopback: true}, {Name: "en0"}, {Name: "en1"}}); err != nil || d.Name != "en0" {
		t.Errorf("mac default: %+v %v", d, err)
	}
}

// TestDefaultRouteInterface: on this host, the interface found holds the
// address the system uses to go outside, and is not loopback; with no
// default route (an offline sandbox) there is none.
func TestDefaultRouteInterface(t *testing.T) {
	name := defaultRouteInterface()
	c, err := net.Dial("udp", "192.0.2.1:9")
	if err != nil {
		if name != "" {
			// An IPv6-only route is possible; then the name must still exist.
			if _, err := net.InterfaceByName(name); err != nil {
				t.Errorf("no IPv4 route, interface %q: %v", name, err)
			}
		}
		return
	}
	la := c.LocalAddr().(*net.UDPAddr).IP
	c.Close()
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatalf("default route via %s, interface %q: %v", la, name, err)
	}
	if ifc.Flags&net.FlagLoopback != 0 {
		t.Errorf("default route interface %s is loopback", name)
	}
	addrs, _ := ifc.Addrs()
	found := false
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(la) {
			found = true
		}
	}
	if !found {
		t.Errorf("%s does not hold the route's source address %s (%v)", name, la, addrs)
	}
}
