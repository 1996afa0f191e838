package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/ansi"
)

// progress shows on stderr what a migrate or preflight run is doing while
// it runs, and carries the run's log lines there (docs/commands.md).
//
// On a terminal it is one status line rewritten in place, every tick and
// at every event, with log lines printed above it: the migration and
// statement running now and for how long ("⠋ 0004_backfill (apply)
// statement 2/3 (line 7) 4.2s"), and for a tenant fleet a bar with the
// tenants done, the failures and an estimate of the time left. Each
// finished fleet pass stays on screen; the line is wiped before the
// report is printed.
//
// Elsewhere (CI and release logs, files) it never rewrites anything: a
// line when a migration starts ("→ 0004_backfill (apply) …") and one when
// it ends ("✓ 0004_backfill (apply) 8.1s"), prefixed with the tenant in
// a fleet, and the fleet's counts about twenty times per pass.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	width int // terminal columns, 0 when unknown
	now   func() time.Time
	// planned says that the first pass only plans (--no-preflight).
	planned bool

	line    string // status line on screen (terminal only)
	ticking bool
	stop    chan struct{}
	stopped chan struct{}

	// running is what each target (by tenant name, "" for a single
	// database) runs now.
	running map[string]*running
	// fleet counts of the current pass, once a tenant finished it.
	pass                fleet.Pass
	done, total, failed int
	passStart           time.Time
}

// running is the migration a target runs now.
type running struct {
	id, pass          string
	stmt, stmts, line int
	since             time.Time
}

// tick is how often the status line is redrawn on a terminal.
const tick = 100 * time.Millisecond

// spinner frames, one per tick.
var spinner = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

func newProgress(w io.Writer, tty, planned bool) *progress {
	p := &progress{w: w, tty: tty, planned: planned, now: time.Now, running: map[string]*running{}}
	p.passStart = p.now()
	if tty {
		p.width = termWidth(w)
	}
	return p
}

// termWidth returns the columns of the terminal w writes to, 0 when
// unknown.
func termWidth(w io.Writer) int {
	if t, ok := w.(*trackingWriter); ok {
		w = t.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// clear is the terminal sequence that wipes the current line.
const clear = ansi.ClearLine

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

// event follows a run's events (safemigrate.WithEvents); tenants' events
// come from several goroutines at once.
func (p *progress) event(e safemigrate.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case safemigrate.MigrationStarted:
		p.running[e.Target] = &running{id: e.Migration, pass: e.Pass, stmts: e.Statements, since: p.now()}
		if !p.tty {
			fmt.Fprintf(p.w, "%s→ %s (%s) …\n", tenantPrefix(e.Target), e.Migration, e.Pass)
		}
	case safemigrate.StatementStarted:
		if r := p.running[e.Target]; r != nil && r.id == e.Migration {
			r.stmt, r.stmts, r.line = e.Statement, e.Statements, e.Line
		}
	case safemigrate.MigrationFinished:
		delete(p.running, e.Target)
		if !p.tty {
			mark := map[safemigrate.Status]string{safemigrate.StatusOK: "✓", safemigrate.StatusFailed: "✗"}[e.Status]
			took := seconds(e.Duration)
			if e.Status == safemigrate.StatusSkipped {
				mark, took = "·", "skipped"
			}
			fmt.Fprintf(p.w, "%s%s %s (%s) %s\n", tenantPrefix(e.Target), mark, e.Migration, e.Pass, took)
		}
	}
	if p.tty {
		p.startTicking()
		p.draw()
	}
}

func tenantPrefix(name string) string {
	if name == "" {
		return ""
	}
	return "[" + name + "] "
}

// seconds renders a duration as "8.1s", or "120ms" below a second.
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// startTicking redraws the status line every tick until finish, so that
// the elapsed time moves while a statement runs. p.mu is held.
func (p *progress) startTicking() {
	if p.ticking {
		return
	}
	p.ticking = true
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go func(stop <-chan struct{}, stopped chan<- struct{}) {
		defer close(stopped)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}(p.stop, p.stopped)
}

// draw rewrites the status line (terminal only). p.mu is held.
func (p *progress) draw() {
	line := p.status()
	if line == p.line {
		return
	}
	p.line = line
	_, _ = io.WriteString(p.w, clear+line)
}

// status renders the status line: the fleet's bar, then what runs now.
// It is cut to the terminal's width: a wrapped line could not be
// rewritten in place.
func (p *progress) status() string {
	now := p.now()
	var parts []string
	if p.total > 0 {
		parts = append(parts, p.bar(now))
	}
	if r, name := p.longest(); r != nil {
		s := fmt.Sprintf("%s%s (%s)", tenantPrefix(name), r.id, r.pass)
		if r.stmt > 0 {
			s += fmt.Sprintf("  statement %d/%d (line %d)", r.stmt, r.stmts, r.line)
		}
		parts = append(parts, s+"  "+seconds(now.Sub(r.since).Truncate(100*time.Millisecond)))
	}
	if len(parts) == 0 {
		return ""
	}
	frame := spinner[int(now.UnixMilli()/tick.Milliseconds())%len(spinner)]
	line := string(frame) + " " + strings.Join(parts, "  ")
	if p.width > 1 && displayWidth(line) > p.width-1 {
		line = cutWidth(line, p.width-2) + "…"
	}
	return line
}

// longest returns the migration that has been running longest (in a
// fleet, the tenant most likely to hold the run up), and its tenant.
func (p *progress) longest() (*running, string) {
	var best *running
	var name string
	for n, r := range p.running {
		if best == nil || r.since.Before(best.since) || (r.since.Equal(best.since) && n < name) {
			best, name = r, n
		}
	}
	return best, name
}

// bar renders a fleet pass: "tenants [#####-----] 12/40 preflighted,
// 1 failed, ETA 8s".
func (p *progress) bar(now time.Time) string {
	const cells = 20
	full := cells * p.done / max(p.total, 1)
	s := fmt.Sprintf("tenants [%s%s] %d/%d %s", strings.Repeat("#", full), strings.Repeat("-", cells-full), p.done, p.total, p.verb())
	if p.failed > 0 {
		s += fmt.Sprintf(", %d failed", p.failed)
	}
	if p.done > 0 && p.done < p.total {
		per := now.Sub(p.passStart) / time.Duration(p.done)
		s += ", ETA " + (per * time.Duration(p.total-p.done)).Round(time.Second).String()
	}
	return s
}

func (p *progress) verb() string {
	if p.pass == fleet.PassPreflight && p.planned {
		return "planned"
	}
	return map[fleet.Pass]string{
		fleet.PassPreflight: "preflighted",
		fleet.PassApply:     "applied",
		fleet.PassDetect:    "with detection times recorded",
	}[p.pass]
}

// update shows one more tenant done with a pass.
func (p *progress) update(fp fleet.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fp.Pass != p.pass {
		p.pass, p.failed = fp.Pass, 0
	}
	p.done, p.total = fp.Done, fp.Total
	switch fp.State {
	case fleet.StateFailed, fleet.StateBlocked, fleet.StateDrift:
		p.failed++
	}
	line := fmt.Sprintf("tenants: %d/%d %s", fp.Done, fp.Total, p.verb())
	if p.failed > 0 {
		line += fmt.Sprintf(", %d failed", p.failed)
	}
	last := fp.Done == fp.Total
	switch {
	case p.tty && last:
		fmt.Fprintf(p.w, "%s%s\n", clear, line)
		p.line, p.total = "", 0
		p.passStart = p.now()
		p.draw()
	case p.tty:
		p.startTicking()
		p.draw()
	case last || fp.Done%max(1, fp.Total/20) == 0:
		fmt.Fprintln(p.w, line)
	}
	if last {
		p.passStart = p.now()
	}
}

// finish stops the ticker and removes the status line, before the report
// is printed (or after an interrupted run).
func (p *progress) finish() {
	p.mu.Lock()
	stop, stopped := p.stop, p.stopped
	p.ticking, p.stop = false, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.line != "" {
		_, _ = io.WriteString(p.w, clear)
		p.line = ""
	}
	p.running = map[string]*running{}
}
