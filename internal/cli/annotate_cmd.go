package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/lint"
)

// AnnotateCmd prints the safe value the SQL analysis suggests for each
// migration next to the declared one, and can write it where missing.
type AnnotateCmd struct {
	Write     bool `help:"Insert -- safe: <suggested> into files that have no safe directive; an existing one is never changed."`
	PGVersion int  `name:"pg-version" help:"Target PostgreSQL major version (default: pg_version from the config, else 15)." placeholder:"N"`
}

// Help shows examples.
func (c *AnnotateCmd) Help() string {
	return `The suggestion comes from the strictest statement: a contract (drop, rename,
SET NOT NULL, ...) suggests after_deploy, an expand (new table, column,
index) before_deploy, data or neutral statements alone always.

Examples:
  safemigrate annotate
  safemigrate annotate --write
  safemigrate annotate --format json`
}

type annotateRow struct {
	ID        string  `json:"id"`
	File      string  `json:"file"`
	Declared  *string `json:"declared"`
	Suggested *string `json:"suggested"`
	Line      int     `json:"line,omitempty"`
	Reason    string  `json:"reason"`
	Differs   bool    `json:"differs"`
	Written   bool    `json:"written"`
}

// Run analyses the migrations directory and prints (and maybe writes).
func (c *AnnotateCmd) Run(env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	dir := env.dir()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usageError("migrations directory %q not found; pass --dir, set SAFEMIGRATE_DIR, or set dir in safemigrate.yaml", dir)
	}
	files, err := lint.Dir(os.DirFS(dir), filepath.ToSlash(filepath.Clean(dir)))
	if err != nil {
		return usageError("%v", err)
	}
	l, err := lint.New(lint.Config{PGVersion: pgVersion(env, c.PGVersion), Rules: []*lint.Rule{lint.Lookup(lint.Rules, "syntax-error")}})
	if err != nil {
		return usageError("%v", err)
	}
	res, err := l.Run(env.Ctx, files)
	if err != nil {
		return err
	}
	byFile := map[string]lint.Suggestion{}
	for _, s := range res.Suggested {
		byFile[s.File] = s
	}
	broken := map[string]lint.Diagnostic{}
	for _, d := range res.Diagnostics {
		broken[d.File] = d
	}
	rows := []annotateRow{}
	failed := 0
	for _, f := range files {
		row := annotateRow{ID: f.ID, File: f.Path}
		d, _ := annotate.ParseHeader(f.Src)
		if d.Has(annotate.KeySafe) {
			v := string(d.Safe)
			if v == "" { // present but invalid: shown as written
				v = "(invalid)"
			}
			row.Declared = &v
		}
		if diag, bad := broken[f.Path]; bad {
			row.Reason = fmt.Sprintf("%d:%d: %s", diag.Line, diag.Column, diag.Message)
			failed++
			rows = append(rows, row)
			continue
		}
		s := byFile[f.Path]
		sv := string(s.Suggested)
		row.Suggested, row.Line, row.Reason = &sv, s.Line, s.Reason
		row.Differs = row.Declared != nil && *row.Declared != sv
		if c.Write && row.Declared == nil {
			if err := insertSafe(filepath.Join(dir, filepath.FromSlash(f.ID+".sql")), f.Src, s.Suggested); err != nil {
				return err
			}
			row.Written = true
		}
		rows = append(rows, row)
	}
	if format == "json" {
		if err := writeJSON(env.Stdout, map[string]any{"ok": failed == 0, "migrations": rows}); err != nil {
			return err
		}
	} else {
		writeAnnotateText(env, rows)
	}
	if failed > 0 {
		if format == "json" {
			return silentExit{ExitUsage}
		}
		return usageError("%s could not be analysed; fix the SQL (safemigrate lint shows the details)", plural(failed, "file"))
	}
	return nil
}

func writeAnnotateText(env *Env, rows []annotateRow) {
	st := style{on: env.Color}
	t := &table{}
	t.add(cell{"MIGRATION", st.bold}, cell{"DECLARED", st.bold}, cell{"SUGGESTED", st.bold}, cell{"WHY", st.bold})
	written, differs := 0, 0
	for _, r := range rows {
		decl := cell{text: "(none)", color: st.red}
		if r.Declared != nil {
			decl = plain(*r.Declared)
		}
		sugg := cell{text: "?", color: st.red}
		if r.Suggested != nil {
			sugg = plain(*r.Suggested)
			if r.Differs {
				sugg.color = st.yellow
				differs++
			}
		}
		why := r.Reason
		if r.Line > 0 {
			why = fmt.Sprintf("line %d: %s", r.Line, r.Reason)
		}
		if r.Written {
			why = "written; " + why
			written++
		}
		t.add(plain(r.ID), decl, sugg, plain(why))
	}
	t.write(env.Stdout)
	fmt.Fprintf(env.Stdout, "\n%s, %d declared differently from the suggestion", plural(len(rows), "migration"), differs)
	if written > 0 {
		fmt.Fprintf(env.Stdout, ", %s written", plural(written, "safe directive"))
	}
	fmt.Fprintln(env.Stdout)
}

// insertSafe puts `-- safe: value` on the first line of the file, keeping
// its line-ending style; the rest of the file is unchanged.
func insertSafe(path string, src []byte, value annotate.Safe) error {
	nl := "\n"
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		nl = "\r\n"
	}
	fi, err := os.Stat(path)
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("annotate --write: %w", err))
	}
	bom := []byte("\ufeff")
	var out []byte
	if bytes.HasPrefix(src, bom) { // keep a byte-order mark first
		out = append(append(append(out, bom...), "-- safe: "+string(value)+nl...), src[len(bom):]...)
	} else {
		out = append([]byte("-- safe: "+string(value)+nl), src...)
	}
	if err := os.WriteFile(path, out, fi.Mode().Perm()); err != nil {
		return withCode(ExitUsage, fmt.Errorf("annotate --write: %w", err))
	}
	return nil
}
