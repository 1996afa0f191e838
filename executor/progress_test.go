package executor_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/planner"
)

// eventLog records events with the time they arrived.
type eventLog struct {
	mu  sync.Mutex
	evs []executor.Event
	at  []time.Time
}

func (l *eventLog) add(e executor.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
	l.at = append(l.at, time.Now())
}

// lines renders the events compactly, one per event.
func (l *eventLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.evs {
		switch e.Kind {
		case executor.MigrationStarted:
			out = append(out, fmt.Sprintf("%s start %s", e.Pass, e.Migration))
		case executor.StatementStarted:
			out = append(out, fmt.Sprintf("%s %s statement %d/%d line %d", e.Pass, e.Migration, e.Statement, e.Statements, e.Line))
		case executor.MigrationFinished:
			out = append(out, fmt.Sprintf("%s %s %s", e.Pass, e.Migration, e.Status))
		}
	}
	return out
}

// when returns the arrival time of the first event rendered as line.
func (l *eventLog) when(t *testing.T, line string) time.Time {
	t.Helper()
	lines := l.lines()
	for i, s := range lines {
		if s == line {
			return l.at[i]
		}
	}
	t.Fatalf("no event %q in\n%s", line, strings.Join(lines, "\n"))
	return time.Time{}
}

// TestEventsReportEachStatementWhenItStarts runs a migration whose second
// statement sleeps: its StatementStarted event must arrive while it
// runs, not with the migration's end (the server sends a pipeline's
// results at its Sync unless asked to flush).
func TestEventsReportEachStatementWhenItStarts(t *testing.T) {
	_, tg := fresh(t)
	g := load(t, files(
		"0001_slow.sql", "-- safe: always\nSELECT 1;\n\nSELECT pg_sleep(1);\n",
		"0002_notx.sql", "-- safe: always\n-- transaction: false\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
	))
	var log eventLog
	var text syncBuffer
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Events: log.add, Log: &text})
	require.NoError(t, err)
	// The events report the passes: Log keeps only what they do not say.
	require.NotContains(t, text.String(), "0001_slow ok (")
	require.NotContains(t, text.String(), "applied 0001_slow (")
	require.Contains(t, text.String(), "preflight: 0002_notx skipped: transaction: false")
	require.Equal(t, []string{
		"preflight start 0001_slow",
		"preflight 0001_slow statement 1/2 line 2",
		"preflight 0001_slow statement 2/2 line 4",
		"preflight 0001_slow ok",
		"preflight start 0002_notx",
		"preflight 0002_notx skipped",
		"apply start 0001_slow",
		"apply 0001_slow statement 1/2 line 2",
		"apply 0001_slow statement 2/2 line 4",
		"apply 0001_slow ok",
		"apply start 0002_notx",
		"apply 0002_notx statement 1/2 line 3",
		"apply 0002_notx statement 2/2 line 4",
		"apply 0002_notx ok",
	}, log.lines())
	for _, pass := range []string{"preflight", "apply"} {
		running := log.when(t, pass+" 0001_slow statement 2/2 line 4")
		ended := log.when(t, pass+" 0001_slow ok")
		require.Greater(t, ended.Sub(running), 700*time.Millisecond,
			"%s: the pg_sleep statement was reported when the migration ended, not when it started", pass)
	}
}

// TestEventsOfAFailingMigration: a failure ends the migration with
// StatusFailed in preflight and, without it, in apply.
func TestEventsOfAFailingMigration(t *testing.T) {
	_, tg := fresh(t)
	g := load(t, files("0001_bad.sql", "-- safe: always\nSELECT 1;\nSELECT 1/0;\n"))
	var log eventLog
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Events: log.add})
	require.Error(t, err)
	require.Equal(t, []string{
		"preflight start 0001_bad",
		"preflight 0001_bad statement 1/2 line 2",
		"preflight 0001_bad statement 2/2 line 3",
		"preflight 0001_bad failed",
	}, log.lines())

	log = eventLog{}
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true, Events: log.add})
	require.Error(t, err)
	require.Equal(t, []string{
		"apply start 0001_bad",
		"apply 0001_bad statement 1/2 line 2",
		"apply 0001_bad statement 2/2 line 3",
		"apply 0001_bad failed",
	}, log.lines())
}

// TestEventsOfAnAtomicRun names the atomic pass.
func TestEventsOfAnAtomicRun(t *testing.T) {
	_, tg := fresh(t)
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	var log eventLog
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: true, Events: log.add})
	require.NoError(t, err)
	require.Equal(t, []string{
		"atomic start 0001_a",
		"atomic 0001_a statement 1/1 line 2",
		"atomic 0001_a ok",
	}, log.lines())
}

// TestEventsOfAnAtomicRunWithANonTransactionalMigration: a transaction:
// false migration between atomic segments is reported as it starts and
// ends (a long index build must show as running), in the apply pass.
func TestEventsOfAnAtomicRunWithANonTransactionalMigration(t *testing.T) {
	_, tg := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_idx.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
	))
	var log eventLog
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: true, Events: log.add})
	require.NoError(t, err)
	lines := log.lines()
	assert.Contains(t, lines, "apply start 0002_idx")
	assert.Contains(t, lines, "apply 0002_idx ok")
}
