package cli

import (
	"context"
	"fmt"

	"github.com/alecthomas/kong"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/english"
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
  safemigrate annotate --format json
  safemigrate annotate --database-url "$DATABASE_URL"   # start from the live schema, as lint does

With --database-url on the command line (not from the environment or the
configuration), annotate reads the database's catalog, read-only, as lint
--database-url does: the analysis starts from the live schema (column
types, NOT NULL columns, indexes, views), and the server's version is the
target unless --pg-version or pg_version says otherwise.`
}

// Run analyses the migrations directory and prints (and maybe writes).
func (c *AnnotateCmd) Run(ctx context.Context, env *Env, kctx *kong.Context) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	p, err := env.provider(safemigrate.WithPGVersion(pgVersion(env, c.PGVersion)))
	if err != nil {
		return err
	}
	live := databaseURLGiven(kctx)
	rep, err := p.Suggest(ctx, safemigrate.SuggestOptions{Write: c.Write, Live: live})
	if err != nil {
		if live { // the database could not be read: exit 2, as lint
			return withCode(ExitUsage, err)
		}
		return err
	}
	if err := env.emit(format, rep, func() { writeAnnotateText(env, rep.Migrations) }); err != nil {
		return err
	}
	if rep.Failed > 0 {
		if format == "json" {
			return silentExit{ExitUsage}
		}
		return usageError("%s could not be analysed; fix the SQL (safemigrate lint shows the details)", english.Plural(rep.Failed, "file"))
	}
	return nil
}

func writeAnnotateText(env *Env, rows []safemigrate.Suggestion) {
	st := style{on: env.Color}
	t := &table{}
	t.add(cell{"MIGRATION", st.bold}, cell{"DECLARED", st.bold}, cell{"SUGGESTED", st.bold}, cell{"WHY", st.bold})
	written, differs := 0, 0
	for _, r := range rows {
		decl := cell{text: "(none)", color: st.red}
		switch {
		case r.Declared != nil:
			decl = plain(*r.Declared)
		case r.Error != "":
			decl.text = "(invalid)"
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
		switch {
		case r.Suggested == nil && r.Line > 0: // where the SQL fails
			why = fmt.Sprintf("%d:%d: %s", r.Line, r.Column, r.Reason)
		case r.Line > 0:
			why = fmt.Sprintf("line %d: %s", r.Line, r.Reason)
		}
		if r.Written {
			why = "written; " + why
			written++
		}
		t.add(plain(r.ID), decl, sugg, plain(why))
	}
	t.write(env.Stdout)
	fmt.Fprintf(env.Stdout, "\n%s, %d declared differently from the suggestion", english.Plural(len(rows), "migration"), differs)
	if written > 0 {
		fmt.Fprintf(env.Stdout, ", %s written", english.Plural(written, "safe directive"))
	}
	fmt.Fprintln(env.Stdout)
}
