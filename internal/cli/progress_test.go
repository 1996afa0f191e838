package cli_test

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/cli"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// slow is a migration whose only statement runs for two seconds.
var slow = map[string]string{
	"0001_slow.sql": "-- safe: always\nSELECT pg_sleep(2);\n",
}

// TestLiveProgressOnATerminal runs migrate with a pseudo-terminal as
// stderr: the line naming the running migration and statement, with its
// elapsed time moving, must show while the statement sleeps, and be
// wiped before the run ends.
func TestLiveProgressOnATerminal(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, slow)
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	t.Cleanup(func() { _ = ptmx.Close() })
	require.NoError(t, pty.Setsize(tty, &pty.Winsize{Rows: 24, Cols: 120}))

	// Read the terminal concurrently, noting when the running line with
	// a second elapsed first shows.
	running := regexp.MustCompile(`0001_slow \(preflight\)  statement 1/1 \(line 2\)  1\.\ds`)
	var (
		mu     sync.Mutex
		screen bytes.Buffer
		seenAt time.Time
	)
	seen := make(chan struct{})
	drained := make(chan struct{}) // the reader saw the terminal close
	go func() {
		defer close(drained)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			if seenAt.IsZero() && running.Match(screen.Bytes()) {
				seenAt = time.Now()
				close(seen)
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()

	var stdout bytes.Buffer
	done := make(chan int)
	go func() {
		done <- cli.Run(context.Background(), []string{"--dir", dir, "--database-url", url, "migrate", "--phase", "post-deploy"},
			strings.NewReader(""), &stdout, tty)
	}()
	var code int
	var endedAt time.Time
	select {
	case <-seen:
		code = <-done
		endedAt = time.Now()
	case code = <-done:
		endedAt = time.Now()
		select {
		case <-seen: // read late; the times below decide
		case <-time.After(2 * time.Second):
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("the running line never showed on the terminal:\n%q", screen.String())
		}
	}
	require.Equal(t, 0, code, stdout.String())
	require.NoError(t, tty.Close())
	// Everything written before the close is read before the reader
	// ends: without this wait, a loaded machine checked the screen
	// before its last bytes (the wipe) arrived.
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	assert.True(t, seenAt.Before(endedAt.Add(-500*time.Millisecond)), "the running line showed only as the run ended")
	out := screen.String()
	assert.Contains(t, out, "0001_slow (apply)  statement 1/1 (line 2)", "the apply pass shows too")
	assert.NotContains(t, out, "→", "no log lines on a terminal")
	assert.NotContains(t, out, "\n⠋", "the status line is rewritten in place, never a new line per tick")
	assert.True(t, strings.HasSuffix(out, "\r\x1b[K"), "the status line is wiped at the end: %q", out[max(0, len(out)-80):])
	assert.Contains(t, stdout.String(), "1 migration applied")
}

// stampedWriter records when each line was written.
type stampedWriter struct {
	mu    sync.Mutex
	lines []string
	at    []time.Time
	part  string
}

func (w *stampedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part += string(b)
	for {
		i := strings.IndexByte(w.part, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.lines = append(w.lines, w.part[:i])
		w.at = append(w.at, time.Now())
		w.part = w.part[i+1:]
	}
}

// when returns the time the first line starting with prefix was written.
func (w *stampedWriter) when(t *testing.T, prefix string) time.Time {
	t.Helper()
	for i, l := range w.lines {
		if strings.HasPrefix(l, prefix) {
			return w.at[i]
		}
	}
	t.Fatalf("no line %q in:\n%s", prefix, strings.Join(w.lines, "\n"))
	return time.Time{}
}

// TestProgressLinesOffTerminal: in a log (stderr not a terminal) a line
// says which migration starts when it starts, and one says how it ended;
// nothing is rewritten, and with --format json stdout stays one document.
func TestProgressLinesOffTerminal(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_slow.sql": "-- safe: always\nSELECT pg_sleep(1);\n",
		"0002_bad.sql":  "-- safe: always\nSELECT 1/0;\n",
	})
	var stdout bytes.Buffer
	var stderr stampedWriter
	code := cli.Run(context.Background(), []string{"--dir", dir, "--database-url", url, "--format", "json", "migrate", "--phase", "post-deploy", "--no-preflight"},
		strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 1, code, strings.Join(stderr.lines, "\n"))
	assertOneJSON(t, stdout.String())
	started := stderr.when(t, "→ 0001_slow (apply) …")
	ended := stderr.when(t, "✓ 0001_slow (apply) 1.")
	assert.Greater(t, ended.Sub(started), 700*time.Millisecond, "the → line was written when the migration started, not when it ended")
	stderr.when(t, "→ 0002_bad (apply) …")
	stderr.when(t, "✗ 0002_bad (apply) ")
	all := strings.Join(stderr.lines, "\n")
	assert.NotContains(t, all, "\x1b[", "no terminal sequences in a log")
	assert.NotContains(t, all, "applied 0001_slow (", "the ✓ line says it; the log line is not repeated")
}

// clock is a settable clock safe for the display's ticker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestProgressDisplay pins the rendering: on a terminal one line, cut to
// the terminal's width, with a fleet's bar (done/total, failures, ETA)
// and the migration running longest; plain lines elsewhere.
func TestProgressDisplay(t *testing.T) {
	events := func(d *cli.ProgressDisplay, c *clock) {
		d.Event(safemigrate.Event{Kind: safemigrate.MigrationStarted, Target: "acme", Pass: "preflight", Migration: "0004_backfill", Statements: 3})
		c.add(1200 * time.Millisecond)
		d.Event(safemigrate.Event{Kind: safemigrate.StatementStarted, Target: "acme", Pass: "preflight", Migration: "0004_backfill", Statement: 2, Statements: 3, Line: 7})
		d.Update(fleet.Progress{Pass: fleet.PassPreflight, Done: 1, Total: 4, State: fleet.StatePreflighted})
		_, _ = io.WriteString(d, "[b] warning: something\n")
		d.Update(fleet.Progress{Pass: fleet.PassPreflight, Done: 2, Total: 4, State: fleet.StateFailed})
		d.Event(safemigrate.Event{Kind: safemigrate.MigrationFinished, Target: "acme", Pass: "preflight", Migration: "0004_backfill", Status: safemigrate.StatusOK, Duration: 8100 * time.Millisecond})
		d.Update(fleet.Progress{Pass: fleet.PassPreflight, Done: 4, Total: 4, State: fleet.StatePreflighted})
		d.Finish()
	}
	t.Run("terminal", func(t *testing.T) {
		var b bytes.Buffer
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		events(cli.NewProgressDisplay(&b, true, 100, c.now), c)
		screens := strings.Split(b.String(), "\r\x1b[K")
		assert.Equal(t, []string{"",
			"⠋ [acme] 0004_backfill (preflight)  0ms",
			"⠹ [acme] 0004_backfill (preflight)  statement 2/3 (line 7)  1.2s",
			"⠹ tenants [#####---------------] 1/4 preflighted, ETA 4s  [acme] 0004_backfill (preflight)  statem…",
			"[b] warning: something\n⠹ tenants [#####---------------] 1/4 preflighted, ETA 4s  [acme] 0004_backfill (preflight)  statem…",
			"⠹ tenants [##########----------] 2/4 preflighted, 1 failed, ETA 1s  [acme] 0004_backfill (prefligh…",
			"⠹ tenants [##########----------] 2/4 preflighted, 1 failed, ETA 1s",
			"tenants: 4/4 preflighted, 1 failed\n",
		}, screens)
		for _, s := range screens {
			last := s[strings.LastIndexByte(strings.TrimSuffix(s, "\n"), '\n')+1:]
			assert.LessOrEqual(t, utf8.RuneCountInString(last), 99, "wider than the terminal: %q", s)
		}
	})
	t.Run("not a terminal", func(t *testing.T) {
		var b bytes.Buffer
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		events(cli.NewProgressDisplay(&b, false, 0, c.now), c)
		assert.Equal(t, "[acme] → 0004_backfill (preflight) …\n"+
			"tenants: 1/4 preflighted\n"+
			"[b] warning: something\n"+
			"tenants: 2/4 preflighted, 1 failed\n"+
			"[acme] ✓ 0004_backfill (preflight) 8.1s\n"+
			"tenants: 4/4 preflighted, 1 failed\n", b.String())
	})
}
