package annotate

import (
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/migration"
)

// suggest picks the safe value a migration's statements call for: the
// strictest statement decides (contract → after_deploy, expand →
// before_deploy, data or neutral alone → always).
func suggest(stmts []Statement) *Analysis {
	an := &Analysis{Statements: stmts, Effect: Neutral, Decider: -1, Suggested: migration.Always}
	var decider *Statement
	// Each statement, then its inner ones, as [Statement.Flatten] lists
	// them (without a slice for each).
	var visit func(i int, s *Statement)
	visit = func(i int, s *Statement) {
		if decider == nil || s.Effect.rank() > an.Effect.rank() {
			an.Effect, an.Decider, decider = s.Effect, i, s
		}
		for j := range s.Inner {
			visit(i, &s.Inner[j])
		}
	}
	for i := range stmts {
		visit(i, &stmts[i])
	}
	an.Suggested = an.Effect.Safe()
	if decider != nil {
		an.Line = decidingLine(decider)
		an.Reason = fmt.Sprintf("line %d: %s", an.Line, decider.Reason)
	} else {
		an.Reason = "no statements"
	}
	return an
}

// decidingLine is the line of the action that gives s its effect (the
// subcommand of a multi-part ALTER TABLE, where lint points too).
func decidingLine(s *Statement) int {
	for _, a := range s.Actions {
		if a.Effect == s.Effect && a.Reason == s.Reason && a.Pos > s.Start && a.Pos <= s.End {
			return s.Line + strings.Count(s.SQL[:a.Pos-s.Start], "\n")
		}
	}
	return s.Line
}
