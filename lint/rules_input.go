package lint

import (
	"github.com/safemigrate/safemigrate/annotate"
)

// runRefusals reports the refusals of one rule: what safemigrate refuses
// to run at all (annotate.Refusals), so lint says it before a run does.
func runRefusals(rule string) func(*Pass) {
	return func(p *Pass) {
		var rs []annotate.Refusal
		if se := p.SyntaxError; se != nil && se.Psql != "" {
			rs = append(rs, annotate.PsqlRefusal(se))
		}
		for _, st := range p.Statements() {
			rs = append(rs, annotate.StatementRefusals(st)...)
		}
		for _, r := range rs {
			if r.Rule == rule {
				p.Reportf(r.Pos, r.End, r.Hint, "%s", r.Message)
			}
		}
	}
}

func runNonRollbackableCall(p *Pass) {
	for _, st := range p.Statements() {
		for _, c := range annotate.NonRollbackable(st) {
			if c.Func == "pg_advisory_unlock_all" {
				continue // advisory-unlock-all
			}
			p.Reportf(c.Pos, c.Pos+len(c.Func), "keep it if it is meant, and know that `safemigrate preflight` cannot undo it: its rehearsal runs it for real",
				"%s() has an effect a rollback cannot undo: %s", c.Func, nonRollbackableWhy(c.Func))
		}
	}
}

func nonRollbackableWhy(fn string) string {
	switch {
	case fn == "setval", fn == "nextval":
		return "sequence changes are not transactional, so a rolled-back preflight or failed migration still moves the sequence"
	case fn == "dblink" || len(fn) > 6 && fn[:6] == "dblink":
		return "the other database's work commits on its own connection, whatever happens to this transaction"
	}
	return "an advisory lock released here stays released when the transaction rolls back"
}
