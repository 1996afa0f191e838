package pgcluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/internal/pgerr"
	"github.com/safemigrate/safemigrate/internal/redact"
)

// LoadError reports the statement of a SQL file that psql could not run:
// where it is and what PostgreSQL said. [LoadSQL] returns it.
type LoadError struct {
	// File is the file as psql names it.
	File string
	// Line is the line of the file at which psql sent the failing
	// statement: its last line (psql counts the statement's own lines in
	// Context's "LINE n:").
	Line int
	// SQLState is PostgreSQL's error code, such as 42704 (undefined
	// object) or 0A000 (feature not supported, e.g. a missing extension).
	SQLState string
	// Message is PostgreSQL's primary message.
	Message string
	// Detail and Hint are PostgreSQL's DETAIL and HINT, if any.
	Detail, Hint string
	// Context holds psql's other lines about the error: the statement
	// line with a caret under the error position, QUERY, CONTEXT.
	Context string
}

// Error renders the failure as file:line: message (SQLSTATE), then the
// context, DETAIL and HINT.
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s", e.File, e.Line, e.Message)
	pgerr.WriteFields(&b, "", e.SQLState, "", "")
	if e.Context != "" {
		fmt.Fprintf(&b, "\n%s", e.Context)
	}
	pgerr.WriteFields(&b, "", "", e.Detail, e.Hint)
	return b.String()
}

// psqlError matches the line psql prints for a failing statement of a
// file: "psql:FILE:LINE: ERROR:  CODE: message" (with VERBOSITY=verbose).
var psqlError = regexp.MustCompile(`^psql:(.*):(\d+): (?:ERROR|FATAL|PANIC):\s+(?:([0-9A-Z]{5}): )?(.*)$`)

// LoadSQL runs the SQL file at path (a `pg_dump --schema-only` file, for
// instance) against the database at connString with psql (the binary at
// psql, see [FindBin]), stopping at the first error (ON_ERROR_STOP).
// psqlrc files are not read.
//
// When a statement fails the error is a *[LoadError] naming the file and
// line; other failures (psql missing, no connection, the file unreadable)
// carry psql's message. The password, if connString has one, reaches
// psql through PGPASSWORD and never appears in the error. Cancelling ctx
// kills psql.
func LoadSQL(ctx context.Context, psql, connString, path string) error {
	dsn, password := redact.SplitPassword(connString)
	cmd := exec.CommandContext(ctx, psql, "--no-psqlrc", "--quiet",
		"--set", "ON_ERROR_STOP=1", "--set", "VERBOSITY=verbose",
		"--file", path, "--dbname="+dsn)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("psql -f %s: %w", path, context.Cause(ctx))
	}
	if le := parseLoadError(stderr.String()); le != nil {
		return le
	}
	msg := strings.TrimSpace(stderr.String())
	if password != "" {
		msg = strings.ReplaceAll(msg, password, redact.Mask)
	}
	if msg != "" {
		msg = ": " + msg
	}
	return redact.Error(fmt.Errorf("psql -f %s: %w%s", path, err, msg))
}

// parseLoadError finds the failing statement in psql's output.
func parseLoadError(out string) *LoadError {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i, l := range lines {
		m := psqlError.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		le := &LoadError{File: m[1], Line: n, SQLState: m[3], Message: strings.TrimSpace(m[4])}
		var context []string
		for _, rest := range lines[i+1:] {
			switch {
			case strings.HasPrefix(rest, "DETAIL:"):
				le.Detail = strings.TrimSpace(strings.TrimPrefix(rest, "DETAIL:"))
			case strings.HasPrefix(rest, "HINT:"):
				le.Hint = strings.TrimSpace(strings.TrimPrefix(rest, "HINT:"))
			case strings.HasPrefix(rest, "LOCATION:"), strings.HasPrefix(rest, "psql:"):
				// The server's source location; psql's own later lines.
			default:
				context = append(context, rest)
			}
		}
		le.Context = strings.Join(context, "\n")
		return le
	}
	return nil
}

// LoadSQL runs the SQL file at path in database dbname with psql of the
// cluster's installation (see [LoadSQL] for the details).
func (c *Cluster) LoadSQL(ctx context.Context, dbname, path string) error {
	if c.stopping.Load() {
		return ErrStopped
	}
	psql := filepath.Join(c.binDir, "psql")
	if !isExecutable(psql) {
		var err error
		if psql, err = FindBin("psql"); err != nil {
			return err
		}
	}
	return LoadSQL(ctx, psql, c.URL(dbname), path)
}
