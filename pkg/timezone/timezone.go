// Package timezone works out the time zone of an inspected image, for the
// logs that write local time without an offset (TeamViewer without its
// Start: header, Splashtop, TightVNC…). The zone of the machine that
// analyses the image says nothing about the PC the image came from.
package timezone

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Zone is an image's time zone and where it was read.
type Zone struct {
	Loc  *time.Location
	From string // e.g. `SYSTEM hive …\TimeZoneInformation: TimeZoneKeyName "Pacific Standard Time"`
}

// maxZoneFile bounds a zone file read from an image (real ones are < 4 KB).
const maxZoneFile = 1 << 20

// Of reads the zone of an offline source: Windows from the SYSTEM hive,
// other systems from the image's /etc/localtime (its own zone file, so the
// rules are the image's, not this machine's), else /etc/timezone.
func Of(src *source.Source) (Zone, error) {
	if src.OS() == "windows" {
		return windows(src)
	}
	return unix(src)
}

func windows(src *source.Source) (Zone, error) {
	p := hive.SystemHive
	if ps := src.Expand(hive.SystemHive); len(ps) > 0 {
		p = ps[0]
	}
	h, err := hive.OpenSource(src, p)
	if err != nil {
		return Zone{}, err
	}
	defer h.Close()
	cs, err := hive.CurrentControlSet(h.Root())
	if err != nil {
		cs = "ControlSet001"
	}
	k, err := h.Open(cs + `\Control\TimeZoneInformation`)
	if err != nil {
		return Zone{}, fmt.Errorf("%s: %s\\Control\\TimeZoneInformation: %v", p, cs, err)
	}
	where := fmt.Sprintf(`%s (%s\Control\TimeZoneInformation)`, p, cs)
	name, _ := k.String("TimeZoneKeyName")
	name = strings.TrimRight(name, "\x00")
	if iana, ok := windowsZones[name]; ok {
		loc, err := time.LoadLocation(iana)
		if err == nil {
			return Zone{Loc: loc, From: fmt.Sprintf("%s: TimeZoneKeyName %q", where, name)}, nil
		}
	}
	// Windows XP writes no key name; an unknown name (a newer Windows):
	// the standard offset, without daylight saving.
	bias, ok := k.Integer("Bias")
	if !ok {
		return Zone{}, fmt.Errorf("%s: neither a known TimeZoneKeyName (%q) nor a Bias", where, name)
	}
	off := -int(int32(uint32(bias))) * 60 // Bias: UTC = local + Bias minutes
	loc := time.FixedZone(offsetName(off), off)
	why := "no TimeZoneKeyName"
	if name != "" {
		why = fmt.Sprintf("TimeZoneKeyName %q is not one ratwatch knows", name)
	}
	return Zone{Loc: loc, From: fmt.Sprintf("%s: Bias %d (%s): a fixed offset, daylight saving not applied", where, int32(uint32(bias)), why)}, nil
}

func offsetName(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, sec/3600, sec%3600/60)
}

func unix(src *source.Source) (Zone, error) {
	// The link's target names the zone (…/zoneinfo/Europe/Berlin); the
	// file it leads to, inside the image, holds the rules.
	name := ""
	if tgt, err := os.Readlink(filepath.Join(src.Root(), "etc", "localtime")); err == nil {
		if i := strings.LastIndex(tgt, "zoneinfo/"); i >= 0 {
			name = tgt[i+len("zoneinfo/"):]
		}
	}
	data, lerr := readSmall(src, "/etc/localtime")
	if lerr == nil {
		label := name
		if label == "" {
			label = "/etc/localtime"
		}
		loc, err := time.LoadLocationFromTZData(label, data)
		if err == nil {
			from := "/etc/localtime of the image"
			if name != "" {
				from += " (a link to zoneinfo/" + name + ")"
			}
			return Zone{Loc: loc, From: from}, nil
		}
		lerr = fmt.Errorf("/etc/localtime: %v", err)
	}
	// Debian-style name file, read with ratwatch's own zone database.
	b, err := readSmall(src, "/etc/timezone")
	if err == nil {
		n := strings.TrimSpace(string(b))
		loc, err := time.LoadLocation(n)
		if err == nil && n != "" {
			return Zone{Loc: loc, From: fmt.Sprintf("/etc/timezone of the image (%q)", n)}, nil
		}
		return Zone{}, fmt.Errorf("%v; /etc/timezone %q: %v", lerr, n, err)
	}
	return Zone{}, fmt.Errorf("%v; %v", lerr, err)
}

func readSmall(src *source.Source, p string) ([]byte, error) {
	f, err := src.Open(p)
	if err != nil {
		// Name the image's path, not this machine's.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New(p + ": not a regular file")
	}
	return io.ReadAll(io.LimitReader(f, maxZoneFile))
}

// Unknown is the zone used when an image's own cannot be read: UTC, named
// so that every time rule that uses it says so.
func Unknown(why error) Zone {
	return Zone{Loc: time.FixedZone("UTC (the image's time zone is not known)", 0),
		From: fmt.Sprintf("not found in the image (%v): read as UTC; give --tz", why)}
}
