package lint

import (
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
)

// runRefusals reports the refusals of one rule: what safemigrate refuses
// to run at all (annotate.Refusals), so lint says it before a run does.
func runRefusals(rule string) func(*Pass) {
	return func(p *Pass) {
		for _, r := range p.refusals() {
			if r.Rule == rule {
				p.Reportf(r.Pos, r.End, r.Hint, "%s", r.Message)
			}
		}
	}
}

// refusals returns the file's refusals, found once for the rules that
// report them.
func (p *Pass) refusals() []annotate.Refusal {
	if p.refused != nil {
		return *p.refused
	}
	var rs []annotate.Refusal
	if se := p.SyntaxError; se != nil && se.Psql != "" {
		rs = append(rs, annotate.PsqlRefusal(se))
	}
	for _, st := range p.Statements() {
		rs = append(rs, annotate.StatementRefusals(st)...)
	}
	p.refused = &rs
	return rs
}

func runNonRollbackableCall(p *Pass) {
	for _, st := range p.Statements() {
		for _, c := range annotate.NonRollbackable(st) {
			if c.Func == "pg_advisory_unlock_all" {
				continue // advisory-unlock-all
			}
			what := c.Func + "()"
			if strings.HasPrefix(c.Func, "COPY ") {
				what = c.Func
			}
			p.Reportf(c.Pos, c.Pos+len(c.Func), "keep it if it is meant, and know that `safemigrate preflight` cannot undo it: its rehearsal runs it for real",
				"%s has an effect a rollback cannot undo: %s", what, nonRollbackableWhy(c.Func))
		}
	}
}

func nonRollbackableWhy(fn string) string {
	switch {
	case fn == "setval", fn == "nextval":
		return "sequence changes are not transactional, so a rolled-back preflight or failed migration still moves the sequence"
	case strings.HasPrefix(fn, "dblink"):
		return "the other database's work commits on its own connection, whatever happens to this transaction"
	case strings.HasPrefix(fn, "pg_advisory_unlock"):
		return "an advisory lock released here stays released when the transaction rolls back"
	case strings.Contains(fn, "advisory_lock"):
		return "a session-level advisory lock stays held when the transaction rolls back, until the session ends (pg_advisory_xact_lock goes with the transaction)"
	case fn == "pg_terminate_backend", fn == "pg_cancel_backend":
		return "the other session is ended or its query cancelled for good"
	case fn == "lo_export", fn == "COPY TO a file":
		return "the file written on the database server stays"
	}
	return "the program runs on the database server, whatever happens to this transaction" // COPY ... PROGRAM
}
