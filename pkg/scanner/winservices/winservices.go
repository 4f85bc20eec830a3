// Package winservices lists Windows services from
// HKLM\SYSTEM\CurrentControlSet\Services (live through the registry API, or
// from the SYSTEM hive of a mounted image, offline) and, live, their state
// from the Service Control Manager opened with enumerate-only rights.
//
// ScreenConnect / ConnectWise Control client services carry the operator's
// relay in their ImagePath ("…ClientService.exe" "?e=Access&h=<host>&p=<port>
// &s=<session>…"); those parameters are parsed into Service.Details.
package winservices

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Name is the scanner's name.
const Name = "windows-services"

// Scanner is the Windows services scanner.
type Scanner struct{}

// New returns the Windows services scanner.
func New() scanner.Scanner { return Scanner{} }

func (Scanner) Name() string   { return Name }
func (Scanner) Tags() []string { return []string{"live", "offline", "windows"} }

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	if env.Source.OS() != "windows" {
		return scanner.Skipped(Name, "not a Windows system")
	}
	if env.Source.IsLive() {
		inv, ok := scanLive(ctx)
		if !ok {
			return scanner.Skipped(Name, "live Windows services can only be read on Windows")
		}
		return inv
	}
	return scanOffline(ctx, env.Source)
}

// SystemHive is the SYSTEM hive of an image.
const SystemHive = "/Windows/System32/config/SYSTEM"

func scanOffline(ctx context.Context, src *source.Source) inventory.Inventory {
	st := inventory.ScannerStatus{Name: Name, Status: inventory.StatusOK}
	h, err := hive.OpenSource(src, SystemHive)
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			st.Reason = SystemHive + ": no SYSTEM hive in the image"
		}
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	defer h.Close()
	cs, err := hive.CurrentControlSet(h.Root())
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, err.Error()
		st.Errors = h.Errors()
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	k, err := h.Open(cs + `\Services`)
	if err != nil {
		st.Status, st.Reason = inventory.StatusFailed, err.Error()
		st.Errors = h.Errors()
		return inventory.Inventory{Statuses: []inventory.ScannerStatus{st}}
	}
	svcs, errs := Services(ctx, k)
	errs = append(errs, h.Errors()...)
	return result(svcs, errs, nil)
}

func result(svcs []inventory.Service, errs []string, extra func(*inventory.ScannerStatus)) inventory.Inventory {
	st := inventory.ScannerStatus{Name: Name, Status: inventory.StatusOK, Items: len(svcs), Errors: errs}
	if len(errs) > 0 {
		st.Status, st.Reason = inventory.StatusPartial, fmt.Sprintf("%d problems while reading", len(errs))
	}
	if extra != nil {
		extra(&st)
	}
	sort.SliceStable(svcs, func(i, j int) bool { return strings.ToLower(svcs[i].Name) < strings.ToLower(svcs[j].Name) })
	return inventory.Inventory{Services: svcs, Statuses: []inventory.ScannerStatus{st}}
}

// Service types (the Type value).
const (
	typeKernelDriver = 0x1
	typeFSDriver     = 0x2
	typeAdapter      = 0x4
	typeRecognizer   = 0x8
	typeWin32Own     = 0x10
	typeWin32Share   = 0x20
	typeUserService  = 0x40
)

// Services reads every subkey of a Services key. Kernel and file-system
// drivers are left out: remote-access tools install Win32 services.
func Services(ctx context.Context, k hive.Key) ([]inventory.Service, []string) {
	names, err := k.SubkeyNames()
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", k.Path(), err)}
	}
	var out []inventory.Service
	var errs []string
	for _, n := range names {
		if ctx.Err() != nil {
			errs = append(errs, "cancelled: "+ctx.Err().Error())
			break
		}
		sk, err := k.Subkey(n)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s\\%s: %v", k.Path(), n, err))
			continue
		}
		if s, ok := Service(sk); ok {
			out = append(out, s)
		}
		sk.Close()
	}
	return out, errs
}

// Service reads one service key. ok is false for drivers.
func Service(k hive.Key) (inventory.Service, bool) {
	typ, hasType := k.Integer("Type")
	if hasType && typ&(typeWin32Own|typeWin32Share|typeUserService) == 0 &&
		typ&(typeKernelDriver|typeFSDriver|typeAdapter|typeRecognizer) != 0 {
		return inventory.Service{}, false
	}
	s := inventory.Service{Manager: "windows-scm", Name: k.Name(), Source: k.Path()}
	s.DisplayName, _ = k.String("DisplayName")
	s.ImagePath, _ = k.String("ImagePath")
	if start, ok := k.Integer("Start"); ok {
		s.StartType = StartType(start)
		if d, ok := k.Integer("DelayedAutostart"); ok && d == 1 && start == 2 {
			s.StartType = "auto (delayed)"
		}
	}
	details := map[string]string{}
	if acct, ok := k.String("ObjectName"); ok && acct != "" {
		details["account"] = acct
	}
	if p, err := k.Subkey("Parameters"); err == nil {
		if dll, ok := p.String("ServiceDll"); ok && dll != "" {
			details["service_dll"] = dll
		}
		p.Close()
	}
	for k, v := range RelayParams(s.ImagePath) {
		details[k] = v
	}
	if len(details) > 0 {
		s.Details = details
	}
	return s, true
}

// StartType names a service Start value.
func StartType(v uint64) string {
	switch v {
	case 0:
		return "boot"
	case 1:
		return "system"
	case 2:
		return "auto"
	case 3:
		return "demand"
	case 4:
		return "disabled"
	}
	return strconv.FormatUint(v, 10)
}

// RelayParams parses the query-style argument ScreenConnect (ConnectWise
// Control) client services carry ("?e=Access&y=Guest&h=relay.example&p=8041
// &s=<guid>&k=<key>&c=…") and returns relay_host (h), relay_port (p),
// session (s) and session_type (e: Access = unattended, Support =
// attended). It returns nil when the command line has no h= parameter.
func RelayParams(imagePath string) map[string]string {
	i := strings.Index(imagePath, "?")
	if i < 0 {
		return nil
	}
	q := imagePath[i+1:]
	if j := strings.IndexAny(q, "\" "); j >= 0 {
		q = q[:j]
	}
	vals := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		// PathUnescape: the k= key is base64 and its '+' must stay '+'.
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		vals[k] = v
	}
	host := vals["h"]
	if host == "" {
		return nil
	}
	out := map[string]string{"relay_host": host}
	if p := vals["p"]; p != "" {
		out["relay_port"] = p
	}
	if s := vals["s"]; s != "" {
		out["session"] = s
	}
	if e := vals["e"]; e != "" {
		out["session_type"] = e
	}
	return out
}
