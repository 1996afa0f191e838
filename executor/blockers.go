package executor

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/internal/redact"
)

// Blocker describes another database session: one that blocks a
// migration's statement, or one that holds the migration lock.
type Blocker struct {
	PID          int        `json:"pid"`
	Application  string     `json:"application"`
	User         string     `json:"user"`
	State        string     `json:"state"`
	BackendStart *time.Time `json:"backend_start,omitempty"`
	QueryStart   *time.Time `json:"query_start"`
	XactStart    *time.Time `json:"xact_start,omitempty"`
	// Query is the session's current or last query, truncated to
	// [MaxQueryText] characters, with passwords masked.
	Query string `json:"query"`
}

// MaxQueryText is the length to which a blocker's query text is cut.
const MaxQueryText = 120

// String describes the session in one line: pid, application, user,
// state, start times and query.
func (b Blocker) String() string {
	var parts []string
	if b.Application != "" {
		parts = append(parts, fmt.Sprintf("application %q", b.Application))
	}
	if b.User != "" {
		parts = append(parts, "user "+b.User)
	}
	if b.State != "" {
		parts = append(parts, b.State)
	}
	switch {
	case b.XactStart != nil:
		parts = append(parts, "transaction started "+b.XactStart.UTC().Format(time.RFC3339))
	case b.BackendStart != nil:
		parts = append(parts, "connected "+b.BackendStart.UTC().Format(time.RFC3339))
	}
	if b.QueryStart != nil {
		parts = append(parts, "query started "+b.QueryStart.UTC().Format(time.RFC3339))
	}
	s := fmt.Sprintf("pid %d (%s)", b.PID, strings.Join(parts, ", "))
	if b.Query != "" {
		s += fmt.Sprintf(": %q", b.Query)
	}
	return s
}

// scanBlockers reads rows of (pid, application_name, usename, state,
// backend_start, query_start, xact_start, query).
func scanBlockers(rows pgx.Rows) ([]Blocker, error) {
	defer rows.Close()
	var out []Blocker
	for rows.Next() {
		var b Blocker
		var pid int32
		if err := rows.Scan(&pid, &b.Application, &b.User, &b.State, &b.BackendStart, &b.QueryStart, &b.XactStart, &b.Query); err != nil {
			return nil, err
		}
		b.PID = int(pid)
		b.Query = cleanQuery(b.Query)
		out = append(out, b)
	}
	return out, rows.Err()
}

// sqlPassword finds PASSWORD 'literal' in SQL text (CREATE/ALTER ROLE):
// also E'…' and dollar-quoted literals, and a literal cut short because
// pg_stat_activity truncates query text (track_activity_query_size).
var sqlPassword = regexp.MustCompile(`(?i)(password\s+)(?:e?'(?:[^'\\]|''|\\.)*(?:'|$)|\$\w*\$[^$]*(?:\$\w*\$)?)`)

// cleanQuery flattens white space, masks passwords and truncates.
func cleanQuery(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	q = sqlPassword.ReplaceAllString(q, "${1}'"+redact.Mask+"'")
	q = hideAfterUnmaskedPassword(redact.String(q))
	if utf8.RuneCountInString(q) > MaxQueryText {
		r := []rune(q)
		q = string(r[:MaxQueryText-1]) + "…"
	}
	return q
}

// maskedAfter is what follows the word "password" once it is masked: a
// masked literal, or a masked conninfo value.
var maskedAfter = regexp.MustCompile(`^(?:\s*'` + regexp.QuoteMeta(redact.Mask) + `'|\s*=\s*` + regexp.QuoteMeta(redact.Mask) + `(?:[\s',)]|$))`)

// hideAfterUnmaskedPassword fails closed: where the word "password" is
// not followed by a masked value (a form the masks do not know: U&'…', a
// comment before the literal, ” inside a quoted conninfo), everything
// after it is hidden. The query text only identifies another session.
func hideAfterUnmaskedPassword(q string) string {
	lower := strings.ToLower(q)
	const word = "password"
	for i := 0; ; {
		j := strings.Index(lower[i:], word)
		if j < 0 {
			return q
		}
		j += i
		end := j + len(word)
		if !wordByte(q, j-1) && !wordByte(q, end) && !maskedAfter.MatchString(q[end:]) {
			return q[:end] + " " + redact.Mask + "…"
		}
		i = end
	}
}

// wordByte reports whether q[i] is a letter, digit or underscore.
func wordByte(q string, i int) bool {
	if i < 0 || i >= len(q) {
		return false
	}
	c := q[i]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// watcher identifies the sessions a migration's statement waits for. While
// a statement runs longer than half its lock timeout, it samples
// pg_blocking_pids() of the migrating backend from a second connection,
// opened on first use, and keeps the last non-empty sample: after a lock
// timeout the wait is over and the blockers can no longer be asked for.
type watcher struct {
	target Target
	pid    int // the migrating backend

	mu     sync.Mutex // guards conn and broken; held during a sample
	conn   *pgx.Conn
	broken bool
}

func newWatcher(t Target, pid int) *watcher {
	return &watcher{target: t, pid: pid}
}

// watch starts watching a statement that runs with lockTimeout. The
// returned function stops watching and returns the last blockers seen.
func (w *watcher) watch(lockTimeout time.Duration) (stop func() []Blocker) {
	if lockTimeout <= 0 {
		return func() []Blocker { return nil }
	}
	var (
		mu      sync.Mutex
		busy    sync.Mutex // held while a sample runs
		stopped bool
		last    []Blocker
		timer   *time.Timer
	)
	interval := max(lockTimeout/4, 10*time.Millisecond)
	sample := func() {
		busy.Lock()
		defer busy.Unlock()
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		mu.Unlock()
		bs := w.sample()
		mu.Lock()
		defer mu.Unlock()
		if len(bs) > 0 {
			last = bs
		}
		if !stopped {
			timer.Reset(interval)
		}
	}
	mu.Lock()
	timer = time.AfterFunc(max(lockTimeout/2, time.Millisecond), sample)
	mu.Unlock()
	return func() []Blocker {
		mu.Lock()
		stopped = true
		timer.Stop()
		mu.Unlock()
		busy.Lock() // wait for a sample in flight
		defer busy.Unlock()
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// sample returns the sessions the migrating backend waits for.
func (w *watcher) sample() []Blocker {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if w.conn == nil {
		cfg := sessionConfig(Target{Config: w.target.Config})
		cfg.RuntimeParams["application_name"] += " (monitor)"
		cfg.OnNotice = nil
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			w.broken = true
			return nil
		}
		w.conn = conn
	}
	rows, err := w.conn.Query(ctx, `
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.state, ''),
       a.backend_start, a.query_start, a.xact_start, coalesce(a.query, '')
  FROM pg_stat_activity a
 WHERE a.pid = ANY (pg_blocking_pids($1))
 ORDER BY a.pid`, w.pid)
	if err != nil {
		_ = w.conn.Close(ctx)
		w.conn = nil
		return nil
	}
	bs, err := scanBlockers(rows)
	if err != nil {
		return nil
	}
	return bs
}

// close closes the monitoring connection.
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = w.conn.Close(ctx)
		w.conn = nil
	}
	w.broken = true
}
