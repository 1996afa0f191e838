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
	for i := range stmts {
		for _, s := range stmts[i].Flatten() {
			if decider == nil || s.Effect.rank() > an.Effect.rank() {
				an.Effect, an.Decider, decider = s.Effect, i, s
			}
		}
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
