package annotate

import (
	"fmt"

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
		an.Line = decider.Line
		an.Reason = fmt.Sprintf("line %d: %s", decider.Line, decider.Reason)
	} else {
		an.Reason = "no statements"
	}
	return an
}
