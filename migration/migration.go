package migration

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Migration is one migration file with its parsed header.
type Migration struct {
	ID       string // "0003_add_email" or "billing/0002_invoices"
	Chain    string // "" for the root chain
	Version  string // the digits of the file name, as written
	Name     string // the part after "<version>_"
	Path     string // the file's path for people: Options.Root joined with its path in the FS
	SQL      []byte // the whole file
	Checksum string // hex SHA-256 of SQL

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

// CompareVersions compares two digit strings as numbers of any length.
func CompareVersions(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
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
// result is for a root that cannot be read. [Load], lint and `new` read a
// directory through Walk, so they see the same files.
func Walk(fsys fs.FS) (srcs []Source, problems []*FileError, err error) {
	root, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read migrations directory: %w", err)
	}
	for _, e := range root {
		if !isDir(fsys, e.Name(), e) {
			if strings.HasSuffix(e.Name(), ".sql") {
				srcs = append(srcs, Source{Path: e.Name(), Name: e.Name()})
			}
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
			if strings.HasSuffix(f.Name(), ".sql") {
				srcs = append(srcs, Source{Path: p, Chain: chain, Name: f.Name()})
			}
		}
	}
	slices.SortFunc(srcs, func(a, b Source) int { return strings.Compare(a.Path, b.Path) })
	return srcs, problems, nil
}

// Load reads every migration from fsys: `.sql` files at the root form the
// root chain and each immediate subdirectory is a chain named after it
// (see [Walk]). Migrations are returned in (chain, version) order. On any
// problem Load returns a *LoadError listing all of them and no migrations.
func Load(fsys fs.FS, opts Options) ([]*Migration, error) {
	if opts.DefaultSafe == "" {
		opts.DefaultSafe = AfterDeploy
	}
	srcs, errs, err := Walk(fsys)
	if err != nil {
		return nil, err
	}
	var out []*Migration
	for _, src := range srcs {
		m, fe := loadFile(fsys, src.Chain, src.Name, opts)
		errs = append(errs, fe...)
		if m != nil {
			out = append(out, m)
		}
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

func loadFile(fsys fs.FS, chain, name string, opts Options) (*Migration, []*FileError) {
	if !strings.HasSuffix(name, ".sql") {
		return nil, nil
	}
	p := path.Join(chain, name)
	if !utf8.ValidString(name) {
		return nil, []*FileError{{File: strings.ToValidUTF8(p, "?"), Message: "file name is not valid UTF-8; rename the file"}}
	}
	base := strings.TrimSuffix(name, ".sql")
	version, rest, ok := ParseName(base)
	if !ok {
		return nil, []*FileError{{File: p, InFile: true, Message: "file name has no version prefix; name it <version>_<name>.sql, e.g. 0001_create_users.sql or 20260101120000_create_users.sql"}}
	}
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, []*FileError{{File: p, Message: fmt.Sprintf("cannot read: %v", err)}}
	}
	dirs, probs := ParseHeader(src)
	if len(probs) > 0 {
		errs := make([]*FileError, len(probs))
		for i, pr := range probs {
			errs[i] = &FileError{File: p, Line: pr.Line, Message: pr.Message, InFile: true}
		}
		return nil, errs
	}
	declared := dirs.Safe != ""
	if !declared {
		dirs.Safe = opts.DefaultSafe
	}
	sum := sha256.Sum256(src)
	id := base
	if chain != "" {
		id = chain + "/" + base
	}
	return &Migration{
		ID:           id,
		Chain:        chain,
		Version:      version,
		Name:         rest,
		Path:         p,
		SQL:          src,
		Checksum:     hex.EncodeToString(sum[:]),
		Directives:   dirs,
		DeclaredSafe: declared,
	}, nil
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
