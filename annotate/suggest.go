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
	for i, s := range stmts {
		if an.Decider < 0 || s.Effect.rank() > an.Effect.rank() {
			an.Effect, an.Decider = s.Effect, i
		}
	}
	an.Suggested = an.Effect.Safe()
	if an.Decider >= 0 {
		s := stmts[an.Decider]
		an.Reason = fmt.Sprintf("line %d: %s", s.Line, s.Reason)
	} else {
		an.Reason = "no statements"
	}
	return an
}
