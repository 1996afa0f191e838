package cli

import (
	"io"
	"time"

	"github.com/safemigrate/safemigrate"

	"github.com/safemigrate/safemigrate/fleet"
)

// ProgressDisplay exposes the progress display of migrate and preflight.
type ProgressDisplay struct {
	*progress
}

// NewProgressDisplay returns a display writing to w, as on a terminal of
// width columns when tty, with the clock now.
func NewProgressDisplay(w io.Writer, tty bool, width int, now func() time.Time) *ProgressDisplay {
	p := newProgress(w, tty, false)
	p.width, p.now = width, now
	p.passStart = now()
	return &ProgressDisplay{p}
}

func (d *ProgressDisplay) Event(e safemigrate.Event) { d.event(e) }
func (d *ProgressDisplay) Update(fp fleet.Progress)  { d.update(fp) }
func (d *ProgressDisplay) Finish()                   { d.finish() }
