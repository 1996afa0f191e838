package safemigrate

import (
	"fmt"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/spell"
)

// resolveRef finds the migration ref names, in the forms a depends
// directive accepts (docs/file-format.md): a full ID, <chain>/<version> or
// a bare root-chain <version>. what names the flag in messages. A miss is
// an *InputError wrapping [ErrNotFound] with the closest ID, if any.
func resolveRef(g *graph.Graph, what, ref string) (string, error) {
	if i, ok := g.Resolve(ref); ok {
		return g.At(i).ID, nil
	}
	ids := make([]string, g.Len())
	for i := range ids {
		ids[i] = g.At(i).ID
	}
	msg := fmt.Sprintf("%s %q: no migration has that ID", what, ref)
	if best := spell.Closest(ref, ids, 3); best != "" {
		msg += fmt.Sprintf(", did you mean %s?", best)
	} else {
		msg += "; give a full ID (0003_add_email, billing/0002_invoices), <chain>/<version> or a root-chain version (`safemigrate status` lists them)"
	}
	return "", &InputError{Msg: msg, Err: ErrNotFound}
}
