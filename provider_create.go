package safemigrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
)

// CreateOptions describe a new migration for [Provider.Create].
type CreateOptions struct {
	// Name says what the migration does ("add_email_to_users"); it is
	// lower-cased, and runs of other characters become "_".
	Name string
	// Safe is required.
	Safe Safe
	// Chain creates it in this chain (a subdirectory); empty is the root
	// chain.
	Chain string
	// Depends lists extra dependencies for the depends directive.
	Depends []string
	// Delay is the delay of an after_deploy migration ("7d").
	Delay string
	// NoTransaction writes `transaction: false`.
	NoTransaction bool
	// Versioning is "sequential" (0001, 0002, …; the default) or
	// "timestamp" (UTC YYYYMMDDHHMMSS).
	Versioning string
}

// CreateReport is the `new` JSON: the file written and its version.
type CreateReport struct {
	OK      bool   `json:"ok"`
	Path    string `json:"path"`
	Version string `json:"version"`
}

var nameRE = regexp.MustCompile(`[^a-z0-9]+`)

// Create writes the next migration file with its header into the
// directory given by WithRoot, and checks it: a file the loader would
// refuse (a depends reference to nothing) is removed again and reported.
func (p *Provider) Create(opts CreateOptions) (*CreateReport, error) {
	if p.o.root == "" {
		return nil, &InputError{Msg: "Create needs WithRoot: the directory to write the file in"}
	}
	name := strings.Trim(nameRE.ReplaceAllString(strings.ToLower(opts.Name), "_"), "_")
	if name == "" {
		return nil, inputErrorf("migration name %q has no letters or digits; use e.g. add_email_to_users", opts.Name)
	}
	switch opts.Safe {
	case BeforeDeploy, AfterDeploy, Always:
	default:
		return nil, inputErrorf("safe value %q is not one of before_deploy, after_deploy, always", opts.Safe)
	}
	if opts.Delay != "" {
		if opts.Safe != AfterDeploy {
			return nil, inputErrorf("a delay needs safe: after_deploy")
		}
		if _, err := migration.ParseDuration(opts.Delay); err != nil {
			return nil, inputErrorf("delay: %v", err)
		}
	}
	if strings.ContainsAny(opts.Chain, `/\.`) {
		return nil, inputErrorf("chain %q must be a plain directory name (chains do not nest)", opts.Chain)
	}
	scheme := opts.Versioning
	if scheme == "" {
		scheme = "sequential"
	}
	if scheme != "sequential" && scheme != "timestamp" {
		return nil, inputErrorf("versioning %q is not one of sequential, timestamp", scheme)
	}
	layout, err := p.createLayout()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(p.o.root, opts.Chain)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, inputErrorf("create %s: %v", dir, err)
	}
	version, err := nextVersion(p.o.root, layout, opts.Chain, scheme, p.o.now().UTC().Format("20060102150405"))
	if err != nil {
		return nil, inputErrorf("%v", err)
	}
	files := newFiles(layout, version, name, opts)
	var written []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := writeNew(path, f.content); err != nil {
			for _, w := range written {
				_ = os.Remove(w)
			}
			return nil, err
		}
		written = append(written, path)
	}
	path := written[0]
	if err := checkNewFile(p.o.root, layout, path); err != nil {
		for _, w := range written {
			_ = os.Remove(w)
		}
		return nil, inputErrorf("%v\nnothing was written; fix the flags and run again", err)
	}
	return &CreateReport{OK: true, Path: path, Version: version}, nil
}

// createLayout is the layout new files follow: the one set, or the one
// the directory's files show.
func (p *Provider) createLayout() (migration.Layout, error) {
	if p.o.layout != "" && p.o.layout != migration.LayoutAuto {
		return p.o.layout, nil
	}
	if _, err := os.Stat(p.o.root); err != nil {
		return migration.LayoutSafemigrate, nil // a new directory
	}
	set, err := migration.Read(os.DirFS(p.o.root), migration.LayoutAuto)
	if err != nil {
		return "", inputErrorf("%v", err)
	}
	if set.Layout == "" { // contradicting layouts
		return "", &InputError{Msg: p.fileProblems(&migration.LoadError{Errors: set.Problems}), Err: &migration.LoadError{Errors: set.Problems}}
	}
	return set.Layout, nil
}

// newFile is one file `new` writes.
type newFile struct{ name, content string }

// newFiles are the files of a new migration in layout: the up part (first)
// with the header, and an empty down part where the layout has one, as
// the tool itself writes them (docs/file-format.md).
func newFiles(layout migration.Layout, version, name string, opts CreateOptions) []newFile {
	noTx := opts.NoTransaction
	switch layout {
	case migration.LayoutGoose:
		opts.NoTransaction = false
		h := header(opts)
		h = strings.TrimSuffix(h, "\n")
		if noTx {
			h += "-- +goose NO TRANSACTION\n"
		}
		return []newFile{{version + "_" + name + ".sql", h + "-- +goose Up\n\n\n-- +goose Down\n\n"}}
	case migration.LayoutDbmate:
		opts.NoTransaction = false
		h := strings.TrimSuffix(header(opts), "\n")
		up := "-- migrate:up"
		if noTx {
			up += " transaction:false"
		}
		return []newFile{{version + "_" + name + ".sql", h + up + "\n\n\n-- migrate:down\n\n"}}
	case migration.LayoutGolangMigrate:
		return []newFile{{version + "_" + name + ".up.sql", header(opts)}, {version + "_" + name + ".down.sql", ""}}
	case migration.LayoutFlyway:
		return []newFile{{"V" + version + "__" + name + ".sql", header(opts)}}
	}
	return []newFile{{version + "_" + name + ".sql", header(opts)}}
}

// header is the new file's content: its directives and an empty line.
func header(opts CreateOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- safe: %s\n", opts.Safe)
	var depends []string // "a, b" and "a,,b," as the user meant them
	for _, d := range opts.Depends {
		if d = strings.TrimSpace(d); d != "" {
			depends = append(depends, d)
		}
	}
	if len(depends) > 0 {
		fmt.Fprintf(&b, "-- depends: %s\n", strings.Join(depends, ", "))
	}
	if opts.Delay != "" {
		fmt.Fprintf(&b, "-- delay: %s\n", opts.Delay)
	}
	if opts.NoTransaction {
		b.WriteString("-- transaction: false\n")
	}
	b.WriteString("\n")
	return b.String()
}

// writeNew creates path with content; an existing file is an error.
func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return inputErrorf("%s already exists", path)
		}
		return inputErrorf("create %s: %v", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return inputErrorf("write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return inputErrorf("write %s: %v", path, err)
	}
	return nil
}

// checkNewFile loads the directory with the new file and returns the
// problems that concern that file (e.g. a depends reference to nothing).
// Problems elsewhere in the directory are not new's business.
func checkNewFile(dir string, layout migration.Layout, path string) error {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	ms, err := migration.Load(os.DirFS(dir), migration.Options{Layout: layout})
	if err == nil {
		_, err = graph.New(ms)
	}
	var many interface{ Unwrap() []error }
	if !errors.As(err, &many) {
		return nil
	}
	var mine []string
	for _, e := range many.Unwrap() {
		var fe *migration.FileError
		if errors.As(e, &fe) && fe.File == rel {
			c := *fe
			c.File = path
			mine = append(mine, c.Error())
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return errors.New(strings.Join(mine, "\n"))
}

// nextVersion picks the version after the highest one in chain of the
// migrations directory root, read the way the loader reads it
// ([migration.Read] in layout): the next number at the existing width (at
// least 4 digits; a Flyway version's last segment goes up: 1.2 → 1.3),
// or the current UTC timestamp, bumped when a file already holds it.
func nextVersion(root string, layout migration.Layout, chain, scheme, stamp string) (string, error) {
	set, err := migration.Read(os.DirFS(root), layout)
	if err != nil {
		return "", err
	}
	highest, width := "", 4
	switch layout {
	case migration.LayoutFlyway:
		width = 1
	case migration.LayoutGolangMigrate:
		width = 6 // golang-migrate's own default
	}
	for _, f := range set.Files {
		if f.Chain != chain || f.Version == "" {
			continue
		}
		width = max(width, len(f.Version))
		if highest == "" || migration.CompareVersions(f.Version, highest) > 0 {
			highest = f.Version
		}
	}
	if scheme == "timestamp" {
		if highest == "" || migration.CompareVersions(stamp, highest) > 0 {
			return stamp, nil
		}
		return bump(highest), nil
	}
	if highest == "" {
		return fmt.Sprintf("%0*d", width, 1), nil
	}
	if strings.Contains(highest, ".") {
		return bump(highest), nil
	}
	next := increment(highest)
	for len(next) < width {
		next = "0" + next
	}
	return next, nil
}

// bump adds one to the last segment of a (possibly dotted) version.
func bump(v string) string {
	i := strings.LastIndexByte(v, '.')
	return v[:i+1] + increment(v[i+1:])
}

// increment adds one to a decimal digit string of any length.
func increment(v string) string {
	b := []byte(v)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}
