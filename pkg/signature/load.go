package signature

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Set is a validated, compiled collection of signatures.
type Set struct {
	Signatures []*Signature
	// Version identifies the set: a content hash of every file loaded.
	Version string
	byID    map[string]*Signature
	sw      *softwareIndex
}

// Get returns a signature by id.
func (s *Set) Get(id string) *Signature { return s.byID[id] }

// Options tune loading.
type Options struct {
	// ParserExists, when set, rejects log entries naming an unknown parser.
	ParserExists func(name string) bool
	// SkipExamples skips running the true/false-positive examples: a scan
	// trusts the built-in set that its tests and `signatures validate`
	// checked. Examples of user-supplied sets are always checked.
	SkipExamples bool
}

// Error is one validation problem located at file:line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors collects every problem found, so an author sees them all at once.
type Errors []Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// LoadFS loads every *.yaml / *.yml file at the top of fsys. name labels the
// files in errors (e.g. "signatures" or a directory path).
func LoadFS(fsys fs.FS, label string, opt Options) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	var files []namedFile
	for _, e := range entries {
		if e.IsDir() || !isYAML(e.Name()) {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(label, e.Name()), err)
		}
		files = append(files, namedFile{filepath.Join(label, e.Name()), b})
	}
	return load(files, opt)
}

// LoadPaths loads signature files or directories of them from disk.
func LoadPaths(paths []string, opt Options) (*Set, error) {
	var files []namedFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			files = append(files, namedFile{p, b})
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !isYAML(e.Name()) {
				continue
			}
			fp := filepath.Join(p, e.Name())
			b, err := os.ReadFile(fp)
			if err != nil {
				return nil, err
			}
			files = append(files, namedFile{fp, b})
		}
	}
	return load(files, opt)
}

// Merge returns a set with the signatures of both; a duplicate id is an error.
func Merge(a, b *Set) (*Set, error) {
	var errs Errors
	out := &Set{byID: map[string]*Signature{}}
	for _, s := range append(slices.Clone(a.Signatures), b.Signatures...) {
		if prev, dup := out.byID[s.ID]; dup {
			errs = append(errs, Error{s.File, s.Line, fmt.Sprintf("duplicate id %q (first defined at %s:%d)", s.ID, prev.File, prev.Line)})
			continue
		}
		out.byID[s.ID] = s
		out.Signatures = append(out.Signatures, s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out.Version = a.Version + "+" + b.Version
	return out, nil
}

type namedFile struct {
	name string
	data []byte
}

func isYAML(n string) bool { return strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") }

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func load(files []namedFile, opt Options) (*Set, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	set := &Set{byID: map[string]*Signature{}}
	var errs Errors
	h := sha256.New()
	// Files are parsed in parallel (start-up time); results are used in
	// file order, so ids, errors and the version hash are deterministic.
	type parsed struct {
		s    *Signature
		errs Errors
	}
	results := make([]parsed, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, errs := parseFile(f.name, f.data, opt)
			results[i] = parsed{s, errs}
		}()
	}
	wg.Wait()
	for i, f := range files {
		h.Write([]byte(filepath.Base(f.name)))
		h.Write(f.data)
		s, ferrs := results[i].s, results[i].errs
		errs = append(errs, ferrs...)
		if s == nil || len(ferrs) > 0 {
			continue
		}
		if prev, dup := set.byID[s.ID]; dup {
			errs = append(errs, Error{f.name, s.Line, fmt.Sprintf("duplicate id %q (first defined at %s:%d)", s.ID, prev.File, prev.Line)})
			continue
		}
		set.byID[s.ID] = s
		set.Signatures = append(set.Signatures, s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(set.Signatures) == 0 {
		return nil, errors.New("no signature files found")
	}
	set.Version = fmt.Sprintf("%d-%s", len(set.Signatures), hex.EncodeToString(h.Sum(nil))[:12])
	return set, nil
}

// parseFile decodes one file strictly and validates it.
func parseFile(name string, data []byte, opt Options) (*Signature, Errors) {
	// Parse once into a node tree: strictness (unknown fields) is checked
	// on the tree, and the struct is decoded from it without re-parsing.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		return nil, yamlErrors(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{name, extra.Line, "more than one YAML document; one signature per file"}}
	}
	var s Signature
	if errs := knownFields(name, &root, reflect.TypeOf(s)); len(errs) > 0 {
		return nil, errs
	}
	if err := root.Decode(&s); err != nil {
		return nil, yamlErrors(name, err)
	}
	s.File = name
	s.Line = lineOf(&root, "id")
	if s.Line == 0 {
		s.Line = 1
	}
	errs := validate(&s, &root, opt)
	if len(errs) > 0 {
		return nil, errs
	}
	s.compile()
	if !opt.SkipExamples {
		errs = append(errs, checkExamples(&s, &root)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &s, nil
}

// knownFields reports mapping keys that name no field of t (what yaml's
// KnownFields does, but on the already parsed tree).
func knownFields(file string, n *yaml.Node, t reflect.Type) Errors {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		var errs Errors
		for _, c := range n.Content {
			errs = append(errs, knownFields(file, c, t)...)
		}
		return errs
	}
	var errs Errors
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				errs = append(errs, Error{file, k.Line, fmt.Sprintf("field %s not found in type %s", k.Value, t)})
				continue
			}
			errs = append(errs, knownFields(file, v, ft)...)
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for _, c := range n.Content {
			errs = append(errs, knownFields(file, c, t.Elem())...)
		}
	}
	return errs
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// yamlErrors turns yaml's messages into file:line errors.
func yamlErrors(name string, err error) Errors {
	var out Errors
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "yaml: unmarshal errors:"))
		if l == "" {
			continue
		}
		if m := yamlLineRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			out = append(out, Error{name, n, m[2]})
			continue
		}
		out = append(out, Error{name, 0, strings.TrimPrefix(l, "yaml: ")})
	}
	return out
}

// lineOf finds the line of the value at a dotted path ("process.cmdline.2").
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		found := false
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(part); err == nil && idx < len(n.Content) {
				n = n.Content[idx]
				line = n.Line
				found = true
			}
		}
		if !found {
			return line
		}
	}
	if n.Line > 0 {
		return n.Line
	}
	return line
}

func validate(s *Signature, root *yaml.Node, opt Options) Errors {
	var errs Errors
	add := func(path, format string, a ...any) {
		errs = append(errs, Error{s.File, lineOf(root, path), fmt.Sprintf(format, a...)})
	}
	for field, v := range map[string]string{"id": s.ID, "name": s.Name, "vendor": s.Vendor, "category": s.Category} {
		if strings.TrimSpace(v) == "" {
			add(field, "missing required field %q", field)
		}
	}
	if s.ID != "" && !idRE.MatchString(s.ID) {
		add("id", "id %q must be lower-case letters, digits and '-'", s.ID)
	}
	if s.Category != "" && !slices.Contains(Categories, s.Category) {
		add("category", "unknown category %q (one of %s)", s.Category, strings.Join(Categories, ", "))
	}
	for i, e := range s.Process.Cmdline {
		if _, err := regexp.Compile(e); err != nil {
			add(fmt.Sprintf("process.cmdline.%d", i), "bad regex %q: %v", e, err)
		}
	}
	for i, e := range s.Process.SessionCmdline {
		if _, err := regexp.Compile(e); err != nil {
			add(fmt.Sprintf("process.session_cmdline.%d", i), "bad regex %q: %v", e, err)
		}
	}
	for i, p := range s.Network.Ports {
		path := fmt.Sprintf("network.ports.%d", i)
		if p.Port < 1 || p.Port > 65535 || (p.To != 0 && (p.To < p.Port || p.To > 65535)) {
			add(path, "port %d-%d out of range", p.Port, p.To)
		}
		if p.Proto != "tcp" && p.Proto != "udp" {
			add(path, "proto must be tcp or udp, not %q", p.Proto)
		}
		if p.Role != RoleRelay && p.Role != RoleDirect && p.Role != RoleListen {
			add(path, "role must be relay, direct or listen, not %q", p.Role)
		}
	}
	for i, d := range s.Network.Domains {
		if d != strings.ToLower(d) || strings.ContainsAny(d, " /:") || d == "" {
			add(fmt.Sprintf("network.domains.%d", i), "domain %q must be a lower-case host name (wildcards allowed)", d)
		}
	}
	for i, l := range s.Logs {
		path := fmt.Sprintf("logs.%d", i)
		if c := l.Config; c != nil && (len(c.Process) == 0 || !strings.Contains(c.Key, ".")) {
			add(path+".config", "log config needs process names and a Section.Key")
		}
		switch {
		case l.Unparsed && l.Parser != "":
			add(path, "a log entry is either unparsed or names a parser, not both")
		case l.Unparsed && len(l.Paths.Windows)+len(l.Paths.Linux)+len(l.Paths.Darwin) == 0:
			add(path, "an unparsed log entry needs paths (it is found only by them)")
		case l.Unparsed && l.Config != nil:
			add(path+".config", "an unparsed log entry cannot have a config: the config only finds a log for a parser")
		case l.Unparsed:
		case l.Parser == "":
			add(path, "log entry needs a parser (or unparsed: true)")
		case opt.ParserExists != nil && !opt.ParserExists(l.Parser):
			add(path+".parser", "unknown parser %q", l.Parser)
		}
	}
	for _, l := range patternLists(s) {
		for i, p := range l.values {
			if strings.Trim(p, "*? ") == "" {
				add(fmt.Sprintf("%s.%d", l.path, i), "pattern %q would match everything", p)
			}
		}
	}
	for _, os := range OSes {
		for i, p := range s.Process.Paths.For(os) {
			if strings.Contains(p, "{") {
				add(fmt.Sprintf("process.paths.%s.%d", os, i), "process.paths are matched as written; placeholders such as %q are not expanded (use *)", p)
			}
		}
	}
	for _, l := range globLists(s) {
		for i, p := range l.values {
			path := fmt.Sprintf("%s.%d", l.path, i)
			if strings.TrimSpace(p) == "" {
				add(path, "empty path")
				continue
			}
			for _, ph := range placeholderRE.FindAllString(p, -1) {
				ph = strings.ToLower(ph)
				switch {
				case !slices.Contains(Placeholders, ph):
					add(path, "unknown placeholder %s (one of %s)", ph, strings.Join(Placeholders, ", "))
				case l.os != "windows" && ph != "{home}" && ph != "{temp}":
					add(path, "placeholder %s is Windows-only; %s paths may use {home} and {temp}", ph, l.os)
				}
			}
		}
	}
	if len(s.Examples.TruePositives) == 0 {
		add("examples", "at least one true_positives example is required")
	}
	if len(s.Examples.FalsePositives) == 0 {
		add("examples", "at least one false_positives example is required")
	}
	return errs
}

// Placeholders are the path placeholders source.Expand understands.
var Placeholders = []string{"{home}", "{appdata}", "{localappdata}", "{temp}", "{programfiles}", "{programfilesx86}", "{programdata}", "{systemroot}"}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

type list struct {
	path, os string
	values   []string
}

// patternLists returns every name/identifier pattern list with its YAML path.
func patternLists(s *Signature) []list {
	var out []list
	perOS := func(prefix string, p PerOS) {
		for _, os := range OSes {
			out = append(out, list{prefix + "." + os, os, p.For(os)})
		}
	}
	perOS("process.names", s.Process.Names)
	perOS("process.client_names", s.Process.ClientNames)
	perOS("process.paths", s.Process.Paths)
	perOS("services", s.Services)
	out = append(out,
		list{"pe.original_filename", "", s.PE.OriginalFilename},
		list{"pe.company_name", "", s.PE.CompanyName},
		list{"pe.product_name", "", s.PE.ProductName},
		list{"signers", "", s.Signers},
		list{"software.windows", "", s.Software.Windows},
		list{"software.msix", "", s.Software.MSIX},
		list{"software.dpkg", "", s.Software.Dpkg},
		list{"software.rpm", "", s.Software.RPM},
		list{"software.darwin", "", s.Software.Darwin},
		list{"network.domains", "", s.Network.Domains},
	)
	return out
}

// globLists returns every file-system glob list (placeholders allowed).
func globLists(s *Signature) []list {
	var out []list
	perOS := func(prefix string, p PerOS) {
		for _, os := range OSes {
			out = append(out, list{prefix + "." + os, os, p.For(os)})
		}
	}
	perOS("paths.install", s.Paths.Install)
	perOS("paths.portable", s.Paths.Portable)
	perOS("paths.config", s.Paths.Config)
	for i, l := range s.Logs {
		perOS(fmt.Sprintf("logs.%d.paths", i), l.Paths)
	}
	return out
}

// checkExamples runs every example through the compiled signature.
func checkExamples(s *Signature, root *yaml.Node) Errors {
	var errs Errors
	run := func(list []Example, kind string, want bool) {
		for i, ex := range list {
			path := fmt.Sprintf("examples.%s.%d", kind, i)
			hits, err := s.MatchExample(ex)
			if err != nil {
				errs = append(errs, Error{s.File, lineOf(root, path), err.Error()})
				continue
			}
			if got := len(hits) > 0; got != want {
				verb := "does not match"
				if got {
					verb = fmt.Sprintf("matches (%s %q)", hits[0].Rule, hits[0].Pattern)
				}
				errs = append(errs, Error{s.File, lineOf(root, path), fmt.Sprintf("%s example %s", kind, verb)})
			}
		}
	}
	run(s.Examples.TruePositives, "true_positives", true)
	run(s.Examples.FalsePositives, "false_positives", false)
	return errs
}

// MatchExample matches one example observation.
func (s *Signature) MatchExample(ex Example) ([]Hit, error) {
	set := 0
	var hits []Hit
	if p := ex.Process; p != nil {
		set++
		if !slices.Contains(OSes, p.OS) {
			return nil, fmt.Errorf("process example needs os (one of %s)", strings.Join(OSes, ", "))
		}
		if p.Name == "" && p.Exe == "" {
			return nil, errors.New("process example needs a name or an exe")
		}
		hits = s.MatchProcess(p.OS, p.Name, p.Exe, p.Cmdline).Hits
	}
	if p := ex.Software; p != nil {
		set++
		switch p.Manager {
		case "dpkg", "rpm", "windows-uninstall", "msix", "macos-bundle":
		default:
			return nil, fmt.Errorf("software example manager %q unknown", p.Manager)
		}
		if p.Manager == "macos-bundle" && p.BundleID == "" {
			return nil, errors.New("macos-bundle software example needs bundle_id")
		}
		if p.Manager != "macos-bundle" && p.Name == "" {
			return nil, errors.New("software example needs a name")
		}
		hits = s.MatchSoftware(p.Manager, p.Name, p.BundleID)
	}
	if p := ex.Service; p != nil {
		set++
		if !slices.Contains(OSes, p.OS) || p.Name == "" {
			return nil, fmt.Errorf("service example needs os (one of %s) and name", strings.Join(OSes, ", "))
		}
		hits = s.MatchService(p.OS, p.Name)
	}
	if ex.Domain != "" {
		set++
		hits = s.MatchDomain(ex.Domain)
	}
	if p := ex.PE; p != nil {
		set++
		if p.OriginalFilename == "" && p.CompanyName == "" && p.ProductName == "" {
			return nil, errors.New("pe example needs original_filename, company_name or product_name")
		}
		hits = s.MatchPE(p.OriginalFilename, p.CompanyName, p.ProductName)
	}
	if ex.Signer != "" {
		set++
		hits = s.MatchSigner(ex.Signer)
	}
	if set != 1 {
		return nil, fmt.Errorf("an example must set exactly one of process, software, service, domain, pe, signer (has %d)", set)
	}
	return hits, nil
}
