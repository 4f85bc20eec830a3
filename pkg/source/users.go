package source

import (
	"bufio"
	"path"
	"strings"
)

// Users lists accounts with a home directory on the inspected system: from
// /etc/passwd on Unix (plus /home/* and /Users/* folders not listed there, as
// on images whose accounts come from a directory service), and the profile
// folders under Users on Windows.
func (s *Source) Users() []User {
	seen := map[string]bool{}
	var out []User
	add := func(name, home string) {
		if home == "" || seen[home] {
			return
		}
		if st, err := s.Stat(home); err != nil || !st.IsDir() {
			return
		}
		seen[home] = true
		out = append(out, User{Name: name, Home: home})
	}
	switch s.os {
	case "windows":
		base := "/Users"
		if s.live {
			base = s.root + `Users`
		}
		entries, _ := s.ReadDir(base)
		for _, e := range entries {
			switch strings.ToLower(e.Name()) {
			case "all users", "default", "default user", "public":
				continue
			}
			if e.IsDir() {
				add(e.Name(), joinTarget(s, base, e.Name()))
			}
		}
	default:
		if f, err := s.Open("/etc/passwd"); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				fs := strings.Split(sc.Text(), ":")
				if len(fs) >= 7 && fs[5] != "" && !systemHome(fs[5]) {
					add(fs[0], fs[5])
				}
			}
			f.Close()
		}
		for _, base := range []string{"/home", "/Users"} {
			entries, _ := s.ReadDir(base)
			for _, e := range entries {
				if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "Shared" {
					add(e.Name(), path.Join(base, e.Name()))
				}
			}
		}
		add("root", "/root")
		add("root", "/var/root")
	}
	return out
}

func joinTarget(s *Source, base, name string) string {
	if s.os == "windows" && s.live {
		return base + `\` + name
	}
	return path.Join(base, name)
}

// systemHome tells a system account's placeholder home (/bin, /usr/games,
// /var/spool/…) from a profile where a person's tool logs may be.
func systemHome(h string) bool {
	if h == "/" || strings.HasPrefix(h, "/nonexistent") {
		return true
	}
	for _, p := range []string{"/bin", "/sbin", "/usr/", "/dev", "/proc", "/sys", "/run", "/var/spool", "/var/cache", "/var/mail", "/var/backups", "/var/run", "/var/empty"} {
		if h == strings.TrimSuffix(p, "/") || strings.HasPrefix(h, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}
