package pgcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/internal/redact"
)

// DumpSchema runs `pg_dump --schema-only --no-owner` (the binary at
// pgDump, see [FindBin]) against the database at connString, a URL or
// key=value connection string understood by libpq, and returns the SQL.
//
// The password, if connString has one, reaches pg_dump through
// PGPASSWORD rather than its command line, and never appears in the
// returned error. Lines of psql's \restrict and \unrestrict commands,
// whose key pg_dump randomises on every run since PostgreSQL 17.6, 16.10,
// 15.14, 14.19 and 13.22, are removed so that two dumps of the same
// schema are byte-for-byte equal; a dump to load with psql keeps them
// ([DumpSchemaToLoad]). Cancelling ctx kills pg_dump.
func DumpSchema(ctx context.Context, pgDump, connString string) ([]byte, error) {
	out, err := DumpSchemaToLoad(ctx, pgDump, connString)
	if err != nil {
		return nil, err
	}
	return stripRestrict(out), nil
}

// DumpSchemaToLoad is [DumpSchema] for loading the dump with psql
// ([LoadSQL]): it keeps the \restrict KEY and \unrestrict KEY lines, which
// make psql refuse every backslash command between them, so that a
// command a malicious origin server smuggled into the dump does not run
// (CVE-2025-8714). Two dumps of the same schema differ in those lines.
func DumpSchemaToLoad(ctx context.Context, pgDump, connString string) ([]byte, error) {
	dsn, password := redact.SplitPassword(connString)
	cmd := exec.CommandContext(ctx, pgDump, "--schema-only", "--no-owner", "--dbname="+dsn)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			msg = ": " + msg
		}
		return nil, redact.Error(fmt.Errorf("pg_dump %s: %w%s", connString, err, msg))
	}
	return stdout.Bytes(), nil
}

// stripRestrict removes the lines `\restrict KEY` and `\unrestrict KEY`.
func stripRestrict(dump []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(dump))
	for line := range bytes.Lines(dump) {
		if bytes.HasPrefix(line, []byte(`\restrict `)) || bytes.HasPrefix(line, []byte(`\unrestrict `)) {
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}
