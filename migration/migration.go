package migration

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Migration is one migration file with its parsed header.
type Migration struct {
	ID      string // "0003_add_email" or "billing/0002_invoices"
	Chain   string // "" for the root chain
	Version string // the digits of the file name, as written
	Name    string // the part after "<version>_"
	Path    string // the file's path for people: Options.Root joined with its path in the FS
	// SQL is the migration's up part, what runs: the whole file in the
	// safemigrate, golang-migrate and Flyway layouts; in goose and dbmate
	// files everything above the down marker, with the markers that map
	// to directives (`-- +goose NO TRANSACTION`, `-- migrate:up
	// transaction:false`) written as `-- transaction: false` of the same
	// length, so that every line and byte offset matches the file.
	SQL []byte
	// Checksum is the hex SHA-256 of the file's bytes of the up part (the
	// whole file in the safemigrate layout): editing a down part is not
	// drift.
	Checksum string

	// Directives are the header directives. When the file has no safe
	// directive, Safe holds the configured default and DeclaredSafe is false.
	Directives   Directives
	DeclaredSafe bool
}

// Safe returns the migration's safe value (declared or defaulted).
func (m *Migration) Safe() Safe { return m.Directives.Safe }

// Compare orders migrations by (chain, version): the root chain first,
// versions compared as numbers. It is the tie-break order of every
// topological sort in safemigrate.
func Compare(a, b *Migration) int {
	if c := CompareChains(a.Chain, b.Chain); c != 0 {
		return c
	}
	if c := CompareVersions(a.Version, b.Version); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// CompareChains orders chain names: the root chain ("") first, the others
// by name.
func CompareChains(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	return strings.Compare(a, b)
}

// Options configure [Load].
type Options struct {
	// DefaultSafe is the value of a migration without a safe directive.
	// Zero means after_deploy, the safest choice.
	DefaultSafe Safe
	// Root is prepended to every path in migrations and errors, so that
	// messages name files the way the user sees them ("db/migrations/
	// 0001_init.sql:3: …"). Typically the directory the FS was opened on.
	Root string
	// Layout is the directory's layout; zero means [LayoutAuto].
	Layout Layout
}

// FileError is a problem in one migration file, positioned by line
// (0 when the problem concerns the file as a whole).
type FileError struct {
	File    string
	Line    int
	Message string
	// InFile marks a problem of the file's own name or header, which lint
	// reports as a diagnostic of that file (invalid-file-name,
	// invalid-directive). The others concern the directory as a whole: its
	// shape, duplicate versions, dependencies, unreadable files.
	InFile bool
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Message)
}

// LoadError lists every problem found while loading a migrations directory.
// Loading fails as a whole: no migrations are returned with it.
type LoadError struct {
	Errors []*FileError
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual file errors to errors.As.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

// Source is one `.sql` file of a migrations directory, as [Walk] finds it.
type Source struct {
	Path  string // slash-separated path in the FS, e.g. "billing/0002_invoices.sql"
	Chain string // "" for the root chain
	Name  string // base name, e.g. "0002_invoices.sql"
}

// Walk lists the `.sql` files of a migrations directory: those at the root
// (the root chain) and those in each immediate subdirectory (a chain),
// following symbolic links to chain directories. Directories whose name
// starts with "." (.git, editor folders) are skipped. Problems with the
// directory's shape (a nested directory holding SQL, an unreadable chain
// directory, a name that is not UTF-8) come back as FileErrors; the err
// result is for a root that cannot be read. [Read] (and so [Load], lint
// and `new`) reads a directory through Walk, so they all see the same
// files.
func Walk(fsys fs.FS) (srcs []Source, problems []*FileError, err error) {
	all, problems, err := walk(fsys)
	for _, s := range all {
		if strings.HasSuffix(s.Name, ".sql") {
			srcs = append(srcs, s)
		}
	}
	return srcs, problems, err
}

// walk is [Walk] for every file, whatever its name.
func walk(fsys fs.FS) (srcs []Source, problems []*FileError, err error) {
	root, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read migrations directory: %w", err)
	}
	for _, e := range root {
		if !isDir(fsys, e.Name(), e) {
			srcs = append(srcs, Source{Path: e.Name(), Name: e.Name()})
			continue
		}
		chain := e.Name()
		if strings.HasPrefix(chain, ".") {
			continue // .git, editor folders
		}
		if !utf8.ValidString(chain) {
			problems = append(problems, &FileError{File: strings.ToValidUTF8(chain, "?"), Message: "directory name is not valid UTF-8; rename the directory"})
			continue
		}
		entries, err := fs.ReadDir(fsys, chain)
		if err != nil {
			problems = append(problems, &FileError{File: chain, Message: fmt.Sprintf("cannot read chain directory: %v", err)})
			continue
		}
		for _, f := range entries {
			p := path.Join(chain, f.Name())
			if isDir(fsys, p, f) {
				if hasSQL(fsys, p) {
					problems = append(problems, &FileError{File: p, Message: "nested directories are not allowed: chains are the immediate subdirectories of the migrations directory; move these files up into " + chain + "/"})
				}
				continue
			}
			srcs = append(srcs, Source{Path: p, Chain: chain, Name: f.Name()})
		}
	}
	slices.SortFunc(srcs, func(a, b Source) int { return strings.Compare(a.Path, b.Path) })
	return srcs, problems, nil
}

// File is one migration file of a directory as its layout reads it,
// before its header is parsed: a down part (a .down.sql or Flyway undo
// file, a goose or dbmate down section) is never a File nor in one.
type File struct {
	Path    string // slash-separated path in the FS of the file holding the up part
	Chain   string // "" for the root chain
	ID      string // "0003_add_email", "billing/000001_init", "1.2__add_users"
	Version string // empty when the name breaks the rule (see [Set])
	Name    string
	// SQL and Checksum are as in [Migration].
	SQL      []byte
	Checksum string
}

// Set is a migrations directory as [Read] finds it.
type Set struct {
	// Layout is the layout read: the one asked for, or the one detected;
	// empty when the files' layouts contradict each other (a Problem
	// lists them, and no Files are read).
	Layout Layout
	// Files are the migration files, sorted by path. In the safemigrate
	// layout a file whose name breaks the rule is listed too (Version
	// empty, ID its path without ".sql") with an InFile problem, so that
	// lint can report it; in other layouts such a file is a problem of
	// the directory and not listed.
	Files []*File
	// Problems are every problem found, unsorted. Read never parses a
	// header: that is [Load]'s (and lint's) business.
	Problems []*FileError
}

// Read lists and reads the migration files of fsys in layout (detecting
// it when auto): the up parts, each with its ID and checksum. The err
// result is for a root that cannot be read; everything else is a
// problem in the Set. [Load] is Read plus the headers and the graph's
// checks; lint and `new` use Read directly, so that all of them see the
// same migrations.
func Read(fsys fs.FS, layout Layout) (*Set, error) {
	if layout == "" {
		layout = LayoutAuto
	}
	all, problems, err := walk(fsys)
	if err != nil {
		return nil, err
	}
	var srcs []Source
	var gofiles []Source
	for _, s := range all {
		switch {
		case !utf8.ValidString(s.Name):
			if strings.HasSuffix(s.Name, ".sql") {
				problems = append(problems, &FileError{File: strings.ToValidUTF8(s.Path, "?"), Message: "file name is not valid UTF-8; rename the file"})
			}
		case strings.HasSuffix(s.Name, ".sql"):
			srcs = append(srcs, s)
		case strings.HasSuffix(s.Name, ".go") && !strings.HasSuffix(s.Name, "_test.go"):
			gofiles = append(gofiles, s)
		}
	}
	data, readErrs := readAll(fsys, srcs)
	set := &Set{Layout: layout}
	for i, s := range srcs {
		if readErrs[i] != nil {
			problems = append(problems, &FileError{File: s.Path, Message: fmt.Sprintf("cannot read: %v", readErrs[i])})
		}
	}
	if layout == LayoutAuto {
		l, fe := detect(srcs, data)
		if fe != nil {
			set.Layout, set.Problems = "", append(problems, fe)
			return set, nil
		}
		set.Layout = l
	}
	if set.Layout == LayoutGoose {
		for _, g := range gofiles {
			if v, _, ok := ParseName(strings.TrimSuffix(g.Name, ".go")); ok && isDigits(v) {
				problems = append(problems, &FileError{File: g.Path, Message: "goose Go migrations cannot run in safemigrate, which runs SQL only; rewrite this one as a .sql migration (or, if it has run everywhere, delete it and its tracking row stays as history)"})
			}
		}
	}
	ups := map[string]bool{} // golang-migrate: chain/version of each up file
	var downs []Source
	for i, s := range srcs {
		if readErrs[i] != nil {
			continue
		}
		f, isDown, fes := readFile(set.Layout, s, data[i])
		problems = append(problems, fes...)
		if isDown {
			downs = append(downs, s)
		}
		if f != nil {
			set.Files = append(set.Files, f)
			ups[f.Chain+"/"+f.Version] = true
		}
	}
	if set.Layout == LayoutGolangMigrate {
		for _, d := range downs {
			fn, _ := parseFileName(set.Layout, d.Name)
			if !ups[d.Chain+"/"+fn.version] {
				problems = append(problems, &FileError{File: d.Path, Message: fmt.Sprintf("down file without an up file of version %s; add %s.up.sql or remove this one", fn.version, fn.id)})
			}
		}
	}
	set.Problems = problems
	return set, nil
}

// readAll reads the files at once: reading thousands of small files is
// syscall-bound, and a few readers finish sooner.
func readAll(fsys fs.FS, srcs []Source) ([][]byte, []error) {
	data := make([][]byte, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0)*2, len(srcs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data[i], errs[i] = fs.ReadFile(fsys, srcs[i].Path)
			}
		}()
	}
	for i := range srcs {
		next <- i
	}
	close(next)
	wg.Wait()
	return data, errs
}

// detect picks the layout the files point to, or returns the problem
// that lists the files of each layout when they contradict each other.
func detect(srcs []Source, data [][]byte) (Layout, *FileError) {
	byLayout := map[Layout][]string{}
	var found []Layout
	for i, s := range srcs {
		for _, l := range signals(s.Name, data[i]) {
			if byLayout[l] == nil {
				found = append(found, l)
			}
			byLayout[l] = append(byLayout[l], s.Path)
		}
	}
	switch len(found) {
	case 0:
		return LayoutSafemigrate, nil
	case 1:
		return found[0], nil
	}
	slices.Sort(found)
	var parts []string
	for _, l := range found {
		files := byLayout[l]
		more := ""
		if len(files) > 10 {
			more = fmt.Sprintf(" and %d more", len(files)-10)
			files = files[:10]
		}
		parts = append(parts, fmt.Sprintf("%s: %s%s", l, strings.Join(files, ", "), more))
	}
	return "", &FileError{File: ".", Message: fmt.Sprintf("files of more than one tool's layout (%s); set `layout:` in safemigrate.yaml or pass --layout to say which one this directory follows, and move or convert the other files", strings.Join(parts, "; "))}
}

// readFile reads one `.sql` file in layout l: its migration (nil for a
// down file or on a problem), whether it is a down file, its problems.
func readFile(l Layout, s Source, src []byte) (*File, bool, []*FileError) {
	fn, msg := parseFileName(l, s.Name)
	if msg != "" {
		if l != LayoutSafemigrate {
			return nil, false, []*FileError{{File: s.Path, Message: msg}}
		}
		// lint reports the name (invalid-file-name); the header and SQL
		// are still worth linting.
		stem := strings.TrimSuffix(s.Path, ".sql")
		return &File{Path: s.Path, Chain: s.Chain, ID: stem, SQL: src, Checksum: checksum(src)},
			false, []*FileError{{File: s.Path, InFile: true, Message: msg}}
	}
	if fn.part == partDown {
		return nil, true, nil
	}
	up, probs := splitUp(l, src)
	if len(probs) > 0 {
		errs := make([]*FileError, len(probs))
		for i, p := range probs {
			errs[i] = &FileError{File: s.Path, Line: p.Line, Message: p.Message}
		}
		return nil, false, errs
	}
	id := fn.id
	if s.Chain != "" {
		id = s.Chain + "/" + id
	}
	return &File{Path: s.Path, Chain: s.Chain, ID: id, Version: fn.version, Name: fn.name, SQL: up.sql, Checksum: checksum(up.original)}, false, nil
}

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Load reads every migration from fsys in its layout (see [Read]): `.sql`
// files at the root form the root chain and each immediate subdirectory
// is a chain named after it. Migrations are returned in (chain, version)
// order. On any problem Load returns a *LoadError listing all of them and
// no migrations.
func Load(fsys fs.FS, opts Options) ([]*Migration, error) {
	set, err := Read(fsys, opts.Layout)
	if err != nil {
		return nil, err
	}
	return set.Load(opts)
}

// Load turns the files read into migrations as [Load] does (opts.Layout
// is not used: the set was read already), for a caller that needs the
// files too (lint) without reading the directory twice. The set is not
// changed.
func (set *Set) Load(opts Options) ([]*Migration, error) {
	if opts.DefaultSafe == "" {
		opts.DefaultSafe = AfterDeploy
	}
	errs := make([]*FileError, len(set.Problems))
	for i, fe := range set.Problems {
		c := *fe // rooted below: the set's own problems stay as read
		errs[i] = &c
	}
	var out []*Migration
	for _, f := range set.Files {
		if f.Version == "" {
			continue // its name is in errs
		}
		dirs, probs := ParseHeader(f.SQL)
		for _, pr := range probs {
			errs = append(errs, &FileError{File: f.Path, Line: pr.Line, Message: pr.Message, InFile: true})
		}
		if len(probs) > 0 {
			continue
		}
		declared := dirs.Safe != ""
		if !declared {
			dirs.Safe = opts.DefaultSafe
		}
		out = append(out, &Migration{
			ID:           f.ID,
			Chain:        f.Chain,
			Version:      f.Version,
			Name:         f.Name,
			Path:         f.Path,
			SQL:          f.SQL,
			Checksum:     f.Checksum,
			Directives:   dirs,
			DeclaredSafe: declared,
		})
	}
	slices.SortFunc(out, Compare)
	if opts.Root != "" && opts.Root != "." {
		for _, m := range out {
			m.Path = path.Join(opts.Root, m.Path)
		}
		for _, fe := range errs {
			fe.File = path.Join(opts.Root, fe.File)
		}
	}
	errs = append(errs, duplicateVersions(out)...)
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *FileError) int {
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
		})
		return nil, &LoadError{Errors: errs}
	}
	return out, nil
}

// isDir reports whether the entry at p is a directory, following a
// symbolic link (a chain may be a link to shared migrations).
func isDir(fsys fs.FS, p string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	fi, err := fs.Stat(fsys, p)
	return err == nil && fi.IsDir()
}

// hasSQL reports whether a nested directory holds any .sql file; an
// unrelated folder (fixtures, docs) below a chain is not an error.
func hasSQL(fsys fs.FS, dir string) bool {
	found := false
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sql") {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// duplicateVersions reports versions that are numerically equal within one
// chain; ms must be sorted by [Compare].
func duplicateVersions(ms []*Migration) []*FileError {
	var errs []*FileError
	for i := 1; i < len(ms); i++ {
		a, b := ms[i-1], ms[i]
		if a.Chain == b.Chain && CompareVersions(a.Version, b.Version) == 0 {
			errs = append(errs, &FileError{File: b.Path, Message: fmt.Sprintf("duplicate version %s in chain %s (also %s); give one of them the next free version", b.Version, ChainName(b.Chain), a.Path)})
		}
	}
	return errs
}

// ChainName names a chain for people: "(root)" for the root chain.
func ChainName(c string) string {
	if c == "" {
		return "(root)"
	}
	return c
}

// ErrNotFound is returned by lookups of a migration that does not exist.
var ErrNotFound = errors.New("migration not found")
