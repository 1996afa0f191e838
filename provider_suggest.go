package safemigrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/lint"
	"github.com/safemigrate/safemigrate/migration"
)

// SuggestOptions adjust [Provider.Suggest].
type SuggestOptions struct {
	// Write inserts `-- safe: <suggested>` as the first line of each file
	// that has no safe directive (an existing one is never changed). It
	// needs WithRoot: the files are written there.
	Write bool
	// Live reads the configured database ([Provider.ReadLive]) as
	// [LintOptions.Live] does: the analysis starts from the live catalog,
	// so annotate and lint --database-url agree, and without
	// [WithPGVersion] the server's version is the target.
	Live bool
}

// Suggest shows, for each migration, the safe value the SQL analysis
// suggests next to the declared one (docs/rules.md). It reads the
// files only (and, with Live, the database's catalog), so it works on
// migrations the planner would refuse. Files
// whose SQL does not parse are listed with the parse error and make the
// report not OK; that is not an error.
func (p *Provider) Suggest(ctx context.Context, opts SuggestOptions) (*SuggestReport, error) {
	if opts.Write && p.o.root == "" {
		return nil, &InputError{Msg: "Suggest with Write needs WithRoot: the directory to write the files in"}
	}
	files, fsPaths, err := p.readFiles()
	if err != nil {
		return nil, err
	}
	// A file that is not SQL (a syntax error, or psql input: COPY ... FROM
	// stdin rows, backslash commands) has no suggestion: it is reported,
	// as lint and migrate refuse it, and never written.
	cfg := lint.Config{PGVersion: p.o.pgVersion, Rules: []*lint.Rule{lint.Lookup(lint.Rules, "syntax-error"),
		lint.Lookup(lint.Rules, "copy-stdin"), lint.Lookup(lint.Rules, "psql-meta-command")}}
	if opts.Live {
		if cfg.Live, err = p.ReadLive(ctx, files); err != nil {
			return nil, err
		}
	}
	l, err := lint.New(cfg)
	if err != nil {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	res, err := l.Run(ctx, files)
	if err != nil {
		return nil, err
	}
	byFile := map[string]lint.Suggestion{}
	for _, s := range res.Suggested {
		byFile[s.File] = s
	}
	broken := map[string]lint.Diagnostic{}
	for _, d := range res.Diagnostics {
		if _, analysed := byFile[d.File]; !analysed {
			if _, seen := broken[d.File]; !seen {
				broken[d.File] = d
			}
		}
	}
	r := &SuggestReport{OK: true, Migrations: []Suggestion{}}
	for _, f := range files {
		row := Suggestion{ID: f.ID, File: f.Path}
		d, probs := migration.ParseHeader(f.Src)
		if d.Has(migration.KeySafe) {
			if v := string(d.Safe); v != "" {
				row.Declared = &v
			} else { // present but invalid: no value, and why
				row.Error = invalidSafe(f.Path, d, probs)
			}
		}
		if diag, bad := broken[f.Path]; bad {
			row.Line, row.Column, row.Reason = diag.Line, diag.Column, diag.Message
			r.OK = false
			r.Failed++
			r.Migrations = append(r.Migrations, row)
			continue
		}
		s, ok := byFile[f.Path]
		if !ok { // not analysed, and no finding says why: never write a guess
			row.Reason = "the SQL could not be analysed; safemigrate lint shows why"
			r.OK = false
			r.Failed++
			r.Migrations = append(r.Migrations, row)
			continue
		}
		sv := string(s.Suggested)
		row.Suggested, row.Line, row.Reason = &sv, s.Line, s.Reason
		row.Differs = row.Declared != nil && *row.Declared != sv || row.Error != ""
		if opts.Write && row.Declared == nil && row.Error == "" {
			if err := insertSafe(filepath.Join(p.o.root, filepath.FromSlash(fsPaths[f.Path])), s.Suggested); err != nil {
				return nil, err
			}
			row.Written = true
		}
		r.Migrations = append(r.Migrations, row)
	}
	return r, nil
}

// lintFiles reads the migration files for the SQL analysis: their up
// parts only, read by the loader in the directory's layout.
func (p *Provider) lintFiles() ([]lint.File, error) {
	files, _, err := p.readFiles()
	return files, err
}

// LintFiles returns the migration files as [Provider.Lint] reads them,
// for a linter run that also takes files from elsewhere (the CLI's path
// arguments). Like Lint, it refuses (an *[InputError]) a directory no
// command can load: duplicate versions, dependency cycles and dangling
// references, nested directories. Problems of one file's own name or
// header are not refused: lint reports them as findings.
func (p *Provider) LintFiles() ([]lint.File, error) {
	return p.lintFiles()
}

// checkShape loads the directory read as every other command does and
// returns its problems that are not one file's own (see LintFiles).
// While a file's name or header is wrong the graph cannot be built; it is
// checked on a later run.
func (p *Provider) checkShape(set *migration.Set) error {
	ms, err := set.Load(migration.Options{DefaultSafe: p.o.defaultSafe, Root: p.o.root})
	var le *migration.LoadError
	switch {
	case errors.As(err, &le):
		var shape []*migration.FileError
		for _, fe := range le.Errors {
			if !fe.InFile {
				shape = append(shape, fe)
			}
		}
		if len(shape) > 0 {
			err := &migration.LoadError{Errors: shape}
			return &InputError{Msg: p.fileProblems(err), Err: err}
		}
		return nil
	case err != nil:
		return &InputError{Msg: err.Error(), Err: err}
	}
	if _, err := graph.New(ms); err != nil {
		return &InputError{Msg: p.fileProblems(err), Err: err}
	}
	return nil
}

// SuggestReport is the `annotate` JSON: a line per migration.
type SuggestReport struct {
	Migrations []Suggestion `json:"migrations"`
	// OK is false when a file could not be analysed.
	OK bool `json:"ok"`
	// Failed counts the files that could not be analysed.
	Failed int `json:"-"`
}

// Suggestion is one migration's declared and suggested safe value.
type Suggestion struct {
	ID   string `json:"id"`
	File string `json:"file"`
	// Declared is the header's value, nil for none or one that is not
	// valid (then Error says why).
	Declared *string `json:"declared"`
	// Error says what is wrong with a safe directive that is present but
	// not valid ("file:line: message"); "" otherwise.
	Error string `json:"error,omitempty"`
	// Suggested is nil when the SQL could not be analysed.
	Suggested *string `json:"suggested"`
	// Line is the line of the statement that decided, or where the SQL
	// that could not be analysed fails; Column goes with the latter.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Reason says what that statement does, or why the file failed.
	Reason  string `json:"reason"`
	Differs bool   `json:"differs"`
	Written bool   `json:"written"`
}

// invalidSafe describes a safe directive that is present but not valid:
// "file:line: message" from the header's problems.
func invalidSafe(file string, d migration.Directives, probs []migration.Problem) string {
	line := d.Lines[migration.KeySafe]
	for _, p := range probs {
		if p.Line == line {
			return fmt.Sprintf("%s:%d: %s", file, p.Line, p.Message)
		}
	}
	if len(probs) > 0 {
		return fmt.Sprintf("%s:%d: %s", file, probs[0].Line, probs[0].Message)
	}
	return fmt.Sprintf("%s:%d: invalid safe directive", file, line)
}

// insertSafe puts `-- safe: value` on the first line of the file, keeping
// its line-ending style and a byte-order mark; the rest is unchanged.
func insertSafe(path string, value migration.Safe) error {
	// The file, not the migration's SQL: a down part below the up part
	// stays as it is.
	src, err := os.ReadFile(path)
	if err != nil {
		return &InputError{Msg: "annotate --write: " + err.Error(), Err: err}
	}
	nl := "\n"
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		nl = "\r\n"
	}
	fi, err := os.Stat(path)
	if err != nil {
		return &InputError{Msg: "annotate --write: " + err.Error(), Err: err}
	}
	bom := []byte("\ufeff")
	var out []byte
	if bytes.HasPrefix(src, bom) {
		out = append(append(append(out, bom...), "-- safe: "+string(value)+nl...), src[len(bom):]...)
	} else {
		out = append([]byte("-- safe: "+string(value)+nl), src...)
	}
	if err := os.WriteFile(path, out, fi.Mode().Perm()); err != nil {
		return &InputError{Msg: "annotate --write: " + err.Error(), Err: err}
	}
	return nil
}
