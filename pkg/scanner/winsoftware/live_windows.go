//go:build windows

package winsoftware

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows/registry"

	"github.com/ratwatch/ratwatch/pkg/hive"
	"github.com/ratwatch/ratwatch/pkg/scanner"
)

// scanLive reads HKLM (both views), every loaded user hive under
// HKEY_USERS, and the NTUSER.DAT / UsrClass.dat of profiles that are not
// loaded (users not logged in), offline.
func scanLive(ctx context.Context, env *scanner.Env, c *collector) bool {
	// On 32-bit Windows both views are the same key: read it once.
	is64 := false
	if k, err := hive.OpenLive(registry.LOCAL_MACHINE, `SOFTWARE\WOW6432Node`, hive.View64, ""); err == nil {
		is64 = true
		k.Close()
	}
	for _, v := range []struct {
		view  uint32
		label string
	}{
		{hive.View64, `HKLM\SOFTWARE\` + UninstallPath},
		{hive.View32, `HKLM\SOFTWARE\` + UninstallWOW64Path},
	} {
		if v.view == hive.View32 && !is64 {
			continue
		}
		k, err := hive.OpenLive(registry.LOCAL_MACHINE, `SOFTWARE\`+UninstallPath, v.view, v.label)
		if err != nil {
			if !isNotFound(err) {
				c.errorf("%v", err)
				c.failed++
			}
			continue
		}
		ps, errs := Uninstall(k)
		k.Close()
		c.read++
		c.errs = append(c.errs, errs...)
		c.pkgs = append(c.pkgs, ps...)
	}

	loaded := map[string]bool{}
	users, err := hive.OpenLive(registry.USERS, "", hive.ViewDefault, `HKU`)
	if err != nil {
		c.errorf("%v", err)
	} else {
		sids, err := users.SubkeyNames()
		if err != nil {
			c.errorf("HKU: %v", err)
		}
		for _, sid := range sids {
			if strings.EqualFold(sid, ".DEFAULT") {
				continue
			}
			loaded[strings.ToUpper(sid)] = true
			if strings.HasSuffix(strings.ToLower(sid), "_classes") {
				if k := c.openSub(users, sid+`\`+AppModelPath); k != nil {
					ps, errs := AppModelPackages(k)
					c.addMSIX(ps)
					c.errs = append(c.errs, errs...)
					k.Close()
				}
				continue
			}
			if k := c.openSub(users, sid+`\`+UserUninstallPath); k != nil {
				c.readUninstall(k)
				k.Close()
			}
			// <SID>\Software\Classes links to <SID>_Classes on Windows; Wine
			// keeps the classes there only. Duplicates are merged.
			if k := c.openSub(users, sid+`\Software\Classes\`+AppModelPath); k != nil {
				ps, errs := AppModelPackages(k)
				c.addMSIX(ps)
				c.errs = append(c.errs, errs...)
				k.Close()
			}
		}
		users.Close()
	}

	// Profiles whose hive is not loaded: read their files offline.
	pl, err := hive.OpenLive(registry.LOCAL_MACHINE, `SOFTWARE\`+ProfileListPath, hive.View64, `HKLM\SOFTWARE\`+ProfileListPath)
	if err != nil {
		c.errorf("%v", err)
		return true
	}
	defer pl.Close()
	sids, _ := pl.SubkeyNames()
	for _, sid := range sids {
		if ctx.Err() != nil {
			return true
		}
		if loaded[strings.ToUpper(sid)] {
			continue
		}
		k, err := pl.Subkey(sid)
		if err != nil {
			continue
		}
		home, _ := k.String("ProfileImagePath")
		k.Close()
		home = os.ExpandEnv(expandPercent(home))
		if home == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(home, "NTUSER.DAT")); err != nil || st.IsDir() {
			continue
		}
		c.userHives(env.Source, home)
	}
	return true
}

// expandPercent turns %VAR% into ${VAR} for os.ExpandEnv.
func expandPercent(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString("${" + s[i+1:i+1+j] + "}")
		s = s[i+2+j:]
	}
}
