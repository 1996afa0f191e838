package cli

import (
	"fmt"
	"io"
	"sync"

	"github.com/safemigrate/safemigrate/fleet"
)

// progress shows how far a fleet run is on stderr, and carries the
// tenants' log lines there. On a terminal the status is one line
// rewritten in place ("tenants: 12/40 preflighted") with log lines
// printed above it, and each finished pass stays on screen; elsewhere
// (CI logs, files) it is plain lines, about twenty per pass at most.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	line string // status line on screen (terminal only)
	// planned says that the first pass only plans (--no-preflight).
	planned bool
}

func newProgress(w io.Writer, tty, planned bool) *progress {
	return &progress{w: w, tty: tty, planned: planned}
}

// clear is the terminal sequence that wipes the current line.
const clear = "\r\x1b[K"

// Write writes log lines, above the status line on a terminal.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty || p.line == "" {
		return p.w.Write(b)
	}
	_, _ = io.WriteString(p.w, clear)
	n, err := p.w.Write(b)
	_, _ = io.WriteString(p.w, p.line)
	return n, err
}

// update shows one more tenant done with a pass.
func (p *progress) update(fp fleet.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	verb := map[fleet.Pass]string{
		fleet.PassPreflight: "preflighted",
		fleet.PassApply:     "applied",
		fleet.PassDetect:    "with detection times recorded",
	}[fp.Pass]
	if fp.Pass == fleet.PassPreflight && p.planned {
		verb = "planned"
	}
	line := fmt.Sprintf("tenants: %d/%d %s", fp.Done, fp.Total, verb)
	last := fp.Done == fp.Total
	switch {
	case p.tty && last:
		fmt.Fprintf(p.w, "%s%s\n", clear, line)
		p.line = ""
	case p.tty:
		p.line = line
		_, _ = io.WriteString(p.w, clear+line)
	case last || fp.Done%max(1, fp.Total/20) == 0:
		fmt.Fprintln(p.w, line)
	}
}

// finish removes an unfinished status line (an interrupted pass).
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.line != "" {
		_, _ = io.WriteString(p.w, clear)
		p.line = ""
	}
}
