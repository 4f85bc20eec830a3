// Package toollog finds remote-access tools' own logs and event logs and
// hands each to its session parser. Logs are found three ways: the paths in
// each signature (for every user profile), log-file flags on the command lines
// of running tool processes (x11vnc -o FILE), and files or folders handed over
// by the responder (`ratwatch logs PATH…`).
package toollog

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ratwatch/ratwatch/pkg/evidence"
	"github.com/ratwatch/ratwatch/pkg/inventory"
	"github.com/ratwatch/ratwatch/pkg/scanner"
	"github.com/ratwatch/ratwatch/pkg/session"
	"github.com/ratwatch/ratwatch/pkg/sessionlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/eventlog"
	"github.com/ratwatch/ratwatch/pkg/sessionlog/parsers"
	"github.com/ratwatch/ratwatch/pkg/signature"
	"github.com/ratwatch/ratwatch/pkg/source"
)

// Scanner parses tool logs.
type Scanner struct{}

// New returns the tool-log scanner.
func New() scanner.Scanner { parsers.Register(); return Scanner{} }

func (Scanner) Name() string   { return "tool-logs" }
func (Scanner) Tags() []string { return []string{"live", "offline", "any"} }

// walkDepth bounds the walk of a folder handed over by hand (a deeper
// folder is reported unread; collected trees such as KAPE's go ~10 deep).
const walkDepth = 32

type job struct {
	path, parser, tool, found string
	// also lists further signatures that name the same file for the same
	// parser (a shared event log): each gets its own coverage entry.
	also []string
	// unparsed: a log of the tool that no parser reads (signature logs
	// entry with unparsed: true); it is hashed and dated, not parsed.
	unparsed bool
}

func (Scanner) Scan(ctx context.Context, env *scanner.Env) inventory.Inventory {
	st := inventory.ScannerStatus{Name: "tool-logs", Status: inventory.StatusOK}
	var jobs []job
	seen := map[string]bool{}
	index := map[string]int{}
	add := func(j job) {
		k := j.parser + "\x00" + j.path
		if i, ok := index[k]; ok {
			if j.tool != "" && j.tool != jobs[i].tool && !slices.Contains(jobs[i].also, j.tool) {
				jobs[i].also = append(jobs[i].also, j.tool)
			}
			return
		}
		seen[k] = true
		index[k] = len(jobs)
		jobs = append(jobs, j)
	}
	osName := env.Source.OS()
	unlisted := map[string]string{} // folders that could not be listed, once each
	var bad []inventory.LogFile     // paths seen but not read
	if len(env.LogPaths) == 0 {
		for _, sig := range env.Signatures.Signatures {
			for _, l := range sig.Logs {
				for _, pat := range l.Paths.For(osName) {
					for _, p := range env.Source.Expand(pat) {
						ms, err := env.Source.Glob(p)
						if err != nil {
							errs := []error{err}
							if j, ok := err.(interface{ Unwrap() []error }); ok {
								errs = j.Unwrap()
							}
							for _, e := range errs {
								if ul := (*source.UnlistedError)(nil); errors.As(e, &ul) {
									unlisted[ul.Path] = ul.Error()
								} else {
									st.Errors = append(st.Errors, fmt.Sprintf("%s: pattern %q: %v", sig.File, pat, e))
								}
							}
						}
						for _, m := range ms {
							fi, err := env.Source.Stat(m)
							switch {
							case err == nil && fi.Mode().IsRegular():
								add(job{path: m, parser: l.Parser, tool: sig.ID, found: "signature " + sig.ID + " logs", unparsed: l.Unparsed})
							case err == nil && !fi.IsDir():
								// A FIFO or device where a tool's log belongs.
								bad = append(bad, inventory.LogFile{Tool: sig.ID, Parser: l.Parser, Path: m, Status: "unreadable",
									Errors: []string{source.ErrNotRegular.Error()}, Found: "signature " + sig.ID + " logs"})
							}
						}
					}
				}
			}
		}
		if env.Prior != nil {
			for _, j := range fromProcesses(env) {
				add(j)
			}
		}
		for _, j := range fromConfigs(env) {
			add(j)
		}
		for _, k := range env.KnownLogs {
			if fi, err := env.Source.Stat(k.Path); err == nil && fi.Mode().IsRegular() {
				add(job{path: k.Path, parser: k.Parser, tool: k.Tool, found: RememberedPrefix + k.Found + ")"})
			}
		}
	}
	var unknown []string
	for _, p := range env.LogPaths {
		js, unk, b := fromArgument(env, p)
		for _, j := range js {
			add(j)
		}
		unknown = append(unknown, unk...)
		bad = append(bad, b...)
	}
	parsed := map[string]bool{}
	for _, j := range jobs {
		if !j.unparsed {
			parsed[j.path] = true
		}
	}
	var inv inventory.Inventory
	skipped := 0
	for _, j := range jobs {
		if j.unparsed && parsed[j.path] {
			skipped++ // a parser reads it after all
			continue
		}
		if ctx.Err() != nil {
			st.Status, st.Reason = inventory.StatusPartial, "interrupted: "+ctx.Err().Error()
			break
		}
		if j.unparsed {
			lf := hashOne(env, j)
			inv.Logs = append(inv.Logs, lf)
			if lf.Status != inventory.StatusUnparsed {
				st.Unreadable++
				for _, e := range lf.Errors {
					st.Errors = append(st.Errors, lf.Path+": "+e)
				}
			}
			continue
		}
		lf, recs := parseOne(env, j)
		inv.Logs = append(inv.Logs, coverage(lf, j, recs)...)
		if len(inv.Sessions) == 0 {
			inv.Sessions = slices.Clip(recs) // the parser's slice, not a copy of it
		} else {
			inv.Sessions = append(inv.Sessions, recs...)
		}
		if lf.Status != inventory.StatusOK {
			st.Unreadable++
			for _, e := range lf.Errors {
				st.Errors = append(st.Errors, lf.Path+": "+e)
			}
		}
	}
	// A file handed over by name that no parser reads was meant as evidence:
	// it counts as not read (in a folder, other files are just not logs).
	direct := len(unknown)
	for _, u := range unknown {
		inv.Logs = append(inv.Logs, inventory.LogFile{Path: u, Status: "unrecognised", Errors: []string{"no parser recognises this file"}, Found: "argument"})
		st.Errors = append(st.Errors, u+": handed over, but no parser recognises it: not read")
		st.Unreadable++
	}
	for _, b := range bad {
		inv.Logs = append(inv.Logs, b)
		for _, e := range b.Errors {
			st.Errors = append(st.Errors, b.Path+": "+e)
		}
		if b.Status == "unreadable" {
			st.Unreadable++
		} else {
			unknown = append(unknown, b.Path)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(unlisted)) {
		// Tools' logs in it may have been missed: the scan is partial.
		st.Errors = append(st.Errors, unlisted[p]+" (tool logs in it, if any, were not read)")
		st.Unreadable++
	}
	st.Items = len(jobs) - skipped + len(bad) + len(unlisted) + direct
	if st.Unreadable > 0 || len(unknown) > 0 {
		st.Status = inventory.StatusPartial
		var why []string
		if n := st.Unreadable - len(unlisted) - direct; n > 0 {
			why = append(why, fmt.Sprintf("%d of %d log files could not be read completely", n, st.Items-len(unlisted)-direct))
		}
		if len(unlisted) > 0 {
			why = append(why, fmt.Sprintf("%d folders where tool logs may be could not be listed", len(unlisted)))
		}
		if len(unknown) > 0 {
			why = append(why, fmt.Sprintf("%d files not recognised as any tool's log or not read (see logs[])", len(unknown)))
		}
		st.Reason = strings.Join(why, "; ")
	}
	inv.Statuses = []inventory.ScannerStatus{st}
	return inv
}

// coverage returns the log entries for one parsed file. A multi-tool parser
// (an event log) yields one shared entry per tool that lists the file, each
// counting only that tool's records, so reading Security.evtx covers RDP
// without making every tool that lists it "present".
func coverage(lf inventory.LogFile, j job, recs []session.Record) []inventory.LogFile {
	p, ok := sessionlog.Get(j.parser)
	if sh, isShared := p.(sessionlog.SharedLog); ok && isShared && sh.SharedLog() {
		// One tool's records in everyone's log (syslog).
		lf.Shared = true
		return []inventory.LogFile{lf}
	}
	if !ok || p.Tool() != "" {
		return []inventory.LogFile{lf}
	}
	tools := append([]string{j.tool}, j.also...)
	for _, r := range recs {
		if !slices.Contains(tools, r.Tool) {
			tools = append(tools, r.Tool)
		}
	}
	var out []inventory.LogFile
	for _, t := range tools {
		if t == "" {
			continue
		}
		c := lf
		c.Tool, c.Shared, c.Records = t, true, 0
		for _, r := range recs {
			if r.Tool == t {
				c.Records++
			}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		lf.Shared = true
		return []inventory.LogFile{lf}
	}
	return out
}

// fromProcesses takes log paths from the command lines of running tool
// processes (signature process.log_flags), e.g. `x11vnc -o /tmp/x.log`.
func fromProcesses(env *scanner.Env) []job {
	var out []job
	osName := env.Source.OS()
	for _, sig := range env.Signatures.Signatures {
		first := slices.IndexFunc(sig.Logs, func(l signature.Log) bool { return !l.Unparsed })
		if len(sig.Process.LogFlags) == 0 || first < 0 {
			continue
		}
		for _, p := range env.Prior.Processes {
			if len(sig.MatchProcess(osName, p.Name, p.Exe, p.Cmdline).Hits) == 0 {
				continue
			}
			for _, lp := range flagValues(p.Args, sig.Process.LogFlags) {
				if !filepath.IsAbs(lp) {
					continue // relative to the process's cwd: not resolvable reliably
				}
				out = append(out, job{path: lp, parser: sig.Logs[first].Parser, tool: sig.ID, found: fmt.Sprintf("command line of pid %d", p.PID)})
			}
		}
	}
	return out
}

// fromConfigs reads log paths out of the tools' configuration files: the
// file named on a running process's command line, else the default one.
func fromConfigs(env *scanner.Env) []job {
	var out []job
	osName := env.Source.OS()
	for _, sig := range env.Signatures.Signatures {
		for _, l := range sig.Logs {
			c := l.Config
			if c == nil {
				continue
			}
			var confs []string
			var how []string
			if env.Prior != nil {
				for _, p := range env.Prior.Processes {
					if !slices.ContainsFunc(c.Process, func(n string) bool { return strings.EqualFold(n, p.Name) }) {
						continue
					}
					vals := flagValues(p.Args, c.Flags)
					if len(vals) == 0 {
						vals = c.Default.For(osName)
					}
					for _, v := range vals {
						if !filepath.IsAbs(v) {
							continue
						}
						confs = append(confs, v)
						how = append(how, fmt.Sprintf("%s of pid %d", v, p.PID))
					}
				}
			}
			for _, d := range c.Default.For(osName) {
				confs = append(confs, d)
				how = append(how, d)
			}
			for i, conf := range confs {
				lp, ok := iniValue(env, conf, c.Key)
				if !ok || lp == "" {
					continue
				}
				if !strings.HasPrefix(lp, "/") && c.RelativeTo != "" {
					lp = path.Join(c.RelativeTo, lp)
				}
				if fi, err := env.Source.Stat(lp); err == nil && fi.Mode().IsRegular() {
					out = append(out, job{path: lp, parser: l.Parser, tool: sig.ID, found: "configuration " + how[i] + " (" + c.Key + ")"})
				}
			}
		}
	}
	return out
}

// iniValue reads Section.Key from an INI file of the inspected system.
func iniValue(env *scanner.Env, file, key string) (string, bool) {
	section, name, _ := strings.Cut(key, ".")
	f, err := env.Source.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	cur := ""
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == ';' || l[0] == '#' {
			continue
		}
		if l[0] == '[' && strings.HasSuffix(l, "]") {
			cur = strings.TrimSpace(l[1 : len(l)-1])
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok && strings.EqualFold(cur, section) && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// flagValues returns the values given to any of flags ("-o FILE" or "-o=FILE").
func flagValues(args, flags []string) []string {
	var out []string
	for i, a := range args {
		for _, f := range flags {
			if a == f && i+1 < len(args) {
				out = append(out, args[i+1])
			} else if v, ok := strings.CutPrefix(a, f+"="); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// fromArgument resolves a file or folder handed over by the responder to
// parse jobs, choosing parsers by file name (signature log paths) and then by
// content (parsers that can sniff their format). What cannot be read — a
// missing path, a folder that cannot be listed, a file that cannot be opened —
// comes back as an unreadable log entry naming it, so the report says so; a
// symbolic link to a file is followed, one to a folder is listed, not followed
// (a loop would never end).
func fromArgument(env *scanner.Env, p string) (jobs []job, unknown []string, bad []inventory.LogFile) {
	unreadable := func(path, msg string) {
		bad = append(bad, inventory.LogFile{Path: path, Status: "unreadable", Errors: []string{msg}, Found: "argument"})
	}
	fi, err := env.Source.Stat(p)
	if err != nil {
		unreadable(p, err.Error())
		return
	}
	var files []string
	if fi.IsDir() {
		// Links to folders are followed (a collected tree may hold them);
		// each folder is read once, so a link loop ends.
		visited := map[string]bool{}
		var walk func(dir string, depth int)
		walk = func(dir string, depth int) {
			real, err := filepath.EvalSymlinks(dir)
			if err != nil {
				unreadable(dir, "folder: "+err.Error())
				return
			}
			if visited[real] {
				return
			}
			visited[real] = true
			if depth > walkDepth {
				unreadable(dir, fmt.Sprintf("folder deeper than %d levels below the one handed over: not read", walkDepth))
				return
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				unreadable(dir, "cannot list this folder: "+err.Error())
				return
			}
			var links []string // folders through links: after the real ones, so a file is named by its own path
			for _, e := range ents {
				hp := filepath.Join(dir, e.Name())
				switch t := e.Type(); {
				case e.IsDir():
					walk(hp, depth+1)
				case t.IsRegular():
					files = append(files, hp)
				case t&fs.ModeSymlink != 0:
					st, err := os.Stat(hp)
					switch {
					case err != nil:
						unreadable(hp, "symbolic link: "+err.Error())
					case st.IsDir():
						links = append(links, hp)
					case st.Mode().IsRegular():
						files = append(files, hp)
					default:
						unreadable(hp, "symbolic link to a FIFO, device or socket: not read")
					}
				default:
					unreadable(hp, "not a regular file (FIFO, device or socket): not read")
				}
			}
			for _, hp := range links {
				walk(hp, depth+1)
			}
		}
		walk(env.Source.HostPath(p), 0)
		sort.Strings(files)
	} else {
		files = []string{env.Source.HostPath(p)}
	}
	ups := unparsedPaths(env)
	for _, f := range files {
		j, ok, err := chooseParser(env, f)
		if err == nil && !ok {
			// No parser's: perhaps a tool's log that none reads.
			j, ok = unparsedByPath(ups, f)
		}
		switch {
		case err != nil:
			unreadable(f, err.Error())
		case ok:
			jobs = append(jobs, j)
		case !fi.IsDir():
			unknown = append(unknown, f)
		}
	}
	return jobs, unknown, bad
}

// chooseParser picks the parser of a handed-over file; err when the file
// cannot be opened to look at its content.
func chooseParser(env *scanner.Env, hostPath string) (job, bool, error) {
	base := filepath.Base(hostPath)
	var head []byte
	readHead := func() error {
		if head != nil {
			return nil
		}
		f, err := env.Source.Open(hostPath)
		if err != nil {
			return err
		}
		buf := make([]byte, 4096)
		r, _ := decompressed(f) // a rotated, compressed log: sniff its text
		n, _ := io.ReadFull(r, buf)
		f.Close()
		head = buf[:n]
		return nil
	}
	for _, sig := range env.Signatures.Signatures {
		for _, l := range sig.Logs {
			if l.Unparsed {
				// A name such as log.txt or *.log says too little to call
				// a file handed over this tool's log.
				continue
			}
			for _, os := range signature.OSes {
				for _, pat := range l.Paths.For(os) {
					pb := path.Base(strings.ReplaceAll(pat, `\`, "/"))
					if strings.HasPrefix(pb, "{") || pb == "*" || pb == "*.log" || pb == "*.txt" {
						continue
					}
					if ok, _ := path.Match(strings.ToLower(pb), strings.ToLower(base)); !ok {
						continue
					}
					// A name the tool writes (ad.trace) is its log; a name
					// pattern (*.trace) other programs' files match too, so
					// the content must also look like the tool's.
					if strings.ContainsAny(pb, "*?[") {
						p, _ := sessionlog.Get(l.Parser)
						if sn, ok := p.(sessionlog.Sniffer); ok {
							if err := readHead(); err != nil {
								return job{}, false, err
							}
							if !sn.Sniff(head, base) {
								continue
							}
						}
					}
					return job{path: hostPath, parser: l.Parser, tool: sig.ID, found: "argument (file name)"}, true, nil
				}
			}
		}
	}
	if err := readHead(); err != nil {
		return job{}, false, err
	}
	for _, p := range sessionlog.All() {
		if sn, ok := p.(sessionlog.Sniffer); ok && sn.Sniff(head, base) {
			return job{path: hostPath, parser: p.Name(), tool: p.Tool(), found: "argument (content)"}, true, nil
		}
	}
	return job{}, false, nil
}

// fixedFolders are the folders a placeholder stands for, as they appear in
// a collected copy of a disk (KAPE keeps C\ProgramData\…): {home} stands for
// a profile folder of any name, so it adds nothing.
var fixedFolders = map[string]string{
	"{programdata}": "ProgramData", "{programfiles}": "Program Files", "{programfilesx86}": "Program Files (x86)",
	"{systemroot}": "Windows", "{appdata}": "AppData/Roaming", "{localappdata}": "AppData/Local",
	"{temp}": "AppData/Local/Temp", "{home}": "",
}

// unparsedPath is a path of an unparsed log entry (a log of a tool that no
// parser reads) as the folders a collected copy holds: lower case, the
// placeholders read as their folders.
type unparsedPath struct {
	tool  string
	parts []string
}

// unparsedPaths lists the unparsed log paths of every signature with at
// least one folder besides the name: a name alone (log.txt, *.log) is never
// enough.
func unparsedPaths(env *scanner.Env) []unparsedPath {
	var out []unparsedPath
	for _, sig := range env.Signatures.Signatures {
		for _, l := range sig.Logs {
			if !l.Unparsed {
				continue
			}
			for _, os := range signature.OSes {
				for _, pat := range l.Paths.For(os) {
					p := strings.ToLower(strings.ReplaceAll(pat, `\`, "/"))
					for k, v := range fixedFolders {
						p = strings.ReplaceAll(p, k, strings.ToLower(v))
					}
					if parts := strings.FieldsFunc(p, func(r rune) bool { return r == '/' }); len(parts) >= 2 {
						out = append(out, unparsedPath{sig.ID, parts})
					}
				}
			}
		}
	}
	return out
}

// unparsedByPath finds the unparsed log path that the end of hostPath
// matches, folder by folder and without regard to case: a collected
// C\ProgramData\LogMeIn\LogMeIn.log is LogMeIn's.
func unparsedByPath(ups []unparsedPath, hostPath string) (job, bool) {
	have := strings.Split(strings.ToLower(filepath.ToSlash(hostPath)), "/")
	for _, up := range ups {
		if len(up.parts) > len(have) {
			continue
		}
		tail := have[len(have)-len(up.parts):]
		ok := true
		for i := range up.parts {
			if m, _ := path.Match(up.parts[i], tail[i]); !m {
				ok = false
				break
			}
		}
		if ok {
			return job{path: hostPath, tool: up.tool, found: "argument (path of signature " + up.tool + " logs, no parser)", unparsed: true}, true
		}
	}
	return job{}, false
}

// parseOne reads one log once (a locked or unreadable file is reported, never
// retried), hashing it while the parser streams it.
func parseOne(env *scanner.Env, j job) (inventory.LogFile, []session.Record) {
	lf := inventory.LogFile{Tool: j.tool, Parser: j.parser, Path: j.path, Found: j.found, Status: inventory.StatusOK}
	p, ok := sessionlog.Get(j.parser)
	if !ok {
		lf.Status = "unreadable"
		lf.Errors = []string{fmt.Sprintf("parser %q is not built into this ratwatch", j.parser)}
		return lf, nil
	}
	f, err := env.Source.Open(j.path)
	if err != nil {
		lf.Status = "unreadable"
		lf.Errors = []string{err.Error()}
		return lf, nil
	}
	defer f.Close()
	var mod time.Time
	if fi, err := f.Stat(); err == nil {
		lf.Size = fi.Size()
		mod = fi.ModTime()
		m := mod.UTC()
		lf.Modified = &m
	}
	h := sha256.New()
	raw := &countingReader{r: io.TeeReader(f, h)} // the file's own bytes: hash and size
	// A rotated log compressed by logrotate (xrdp.log.2.gz): the parser
	// reads the text, the hash is the file's.
	in, gz := decompressed(raw)
	if gz != nil {
		lf.Compressed = "gzip"
	}
	var bin *binaryCheck
	if j.parser != eventlog.Name { // the text logs
		bin = &binaryCheck{}
		in = io.TeeReader(in, bin)
	}
	cr := &countingReader{r: in}
	res, perr := safeParse(p, sessionlog.Input{Path: j.path, R: cr, Location: env.Location, Modified: mod})
	// Finish the hash even when the parser stopped early.
	if _, err := io.Copy(io.Discard, cr); err != nil && perr == nil {
		perr = fmt.Errorf("read error at offset %d: %w", cr.n, err)
		if gz != nil {
			perr = fmt.Errorf("gzip data, at offset %d of the decompressed text: %w", cr.n, err)
		}
	}
	if gz != nil {
		if _, err := io.Copy(io.Discard, raw); err != nil && perr == nil {
			perr = fmt.Errorf("read error at offset %d: %w", raw.n, err)
		}
	}
	lf.SHA256 = hexSum(h)
	lf.Lines, lf.FirstTime, lf.LastTime = res.Lines, res.FirstTime, res.LastTime
	if perr != nil {
		lf.Status = "unreadable"
		lf.Errors = append(lf.Errors, perr.Error())
	}
	for _, e := range res.Errors {
		lf.Errors = append(lf.Errors, e.Error())
	}
	if cr.n == 0 && perr == nil && strings.HasPrefix(j.found, "argument") {
		// An empty file handed over as a log shows nothing: it was wiped,
		// just rotated, or never written. (At a tool's default place the
		// package may have made it empty; the verdict weighs that with
		// whether the tool ran.)
		e := "empty file (0 bytes): wiped, just rotated or never written; nothing in it to read"
		lf.Errors = append(lf.Errors, e)
		res.Errors = append(res.Errors, sessionlog.ParseError{Msg: e})
	}
	if bin != nil {
		if e := bin.result(); e != "" && perr == nil {
			lf.Errors = append(lf.Errors, e)
			res.Errors = append(res.Errors, sessionlog.ParseError{Msg: e})
		}
	}
	if len(res.Errors) > 0 && lf.Status == inventory.StatusOK {
		lf.Status = inventory.StatusPartial
	}
	if len(lf.Errors) > 20 { // keep the report readable; the count says how many
		n := len(lf.Errors)
		lf.Errors = append(lf.Errors[:20], fmt.Sprintf("… and %d more", n-20))
	}
	recs := res.Sessions
	for i := range recs {
		// A parser for one tool reads its forks' logs too (RustDesk's
		// parser, HopToDesk's log): the records belong to the signature
		// whose log this is.
		if recs[i].Tool == "" || j.tool != "" && p.Tool() != "" && recs[i].Tool == p.Tool() {
			recs[i].Tool = j.tool
		}
		if recs[i].Parser == "" {
			recs[i].Parser = p.Name()
		}
		for k := range recs[i].Evidence {
			ownSum(&recs[i].Evidence[k], j.path, lf.SHA256)
		}
	}
	lf.Cleared = res.Cleared
	for k := range lf.Cleared {
		ownSum(&lf.Cleared[k].Evidence, j.path, lf.SHA256)
	}
	lf.Records = len(recs)
	if lf.Tool == "" && len(recs) > 0 {
		lf.Tool = recs[0].Tool
	}
	return lf, recs
}

// ownSum gives evidence read from the file at path that file's hash (the
// parser does not hash; evidence it cites from elsewhere keeps its own).
func ownSum(e *evidence.Evidence, path, sum string) {
	if e.Path == path && e.SHA256 == "" {
		e.SHA256 = sum
	}
}

// hashOne reads a log no parser reads once, for its hash, size and time.
func hashOne(env *scanner.Env, j job) inventory.LogFile {
	lf := inventory.LogFile{Tool: j.tool, Path: j.path, Found: j.found, Status: inventory.StatusUnparsed}
	f, err := env.Source.Open(j.path)
	if err != nil {
		lf.Status, lf.Errors = "unreadable", []string{err.Error()}
		return lf
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		m := fi.ModTime().UTC()
		lf.Modified = &m
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	lf.Size = n
	if err != nil {
		lf.Status, lf.Errors = "unreadable", []string{fmt.Sprintf("read error at offset %d: %v", n, err)}
		return lf
	}
	lf.SHA256 = hexSum(h)
	return lf
}

func safeParse(p sessionlog.Parser, in sessionlog.Input) (res sessionlog.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser %s failed: %v", p.Name(), r)
		}
	}()
	return p.Parse(in)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// NeedsPrior: log paths are read off the running processes' command lines.
func (Scanner) NeedsPrior() bool { return true }

// decompressed reads r as text: a gzip stream (a rotated log) through a
// decompressor (gz, nil for anything else), anything else as it is.
func decompressed(r io.Reader) (text io.Reader, gz *gzip.Reader) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		if gz, err := gzip.NewReader(br); err == nil {
			gz.Multistream(true)
			return gz, gz
		}
	}
	return br, nil
}

// RememberedPrefix starts the Found of a log read because an earlier audit
// found it ("remembered by an earlier audit (first found: command line of
// pid 4242)").
const RememberedPrefix = "remembered by an earlier audit (first found: "
