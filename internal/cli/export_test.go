package cli

import (
	"io"

	"github.com/safemigrate/safemigrate/fleet"
)

// Progress exposes the fleet progress display: the log writer and the
// update function it gives a fleet run.
func Progress(w io.Writer, tty bool) (io.Writer, func(fleet.Progress), func()) {
	p := newProgress(w, tty, false)
	return p, p.update, p.finish
}
