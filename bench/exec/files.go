package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// syntheticHistory is n small migrations, each creating a table and
// inserting a row: what the executor itself costs per migration.
func syntheticHistory(n int) []*rmig {
	ms := make([]*rmig, n)
	for i := range ms {
		k := i + 1
		ms[i] = &rmig{name: fmt.Sprintf("bench_%d", k), stmts: []string{
			fmt.Sprintf("CREATE TABLE bench_%d (id integer PRIMARY KEY, note text NOT NULL)", k),
			fmt.Sprintf("INSERT INTO bench_%d VALUES (1, 'row %d')", k, k),
		}}
	}
	return ms
}

// Files a written history is made of, inside its directory.
const (
	smSubdir    = "safemigrate" // safemigrate's migrations
	gooseSubdir = "goose"       // goose's migrations
	// allFile is every statement, one after another: psql runs it in
	// autocommit, the floor of any tool.
	allFile = "all.sql"
	// twoPassFile is the default protocol done by hand: every
	// transactional migration rehearsed in one transaction with a
	// savepoint each and rolled back, then every migration applied in a
	// transaction of its own. Its time is the floor of two passes.
	twoPassFile = "two-pass.sql"
	// oneTxFile is --atomic's protocol done by hand: consecutive
	// transactional migrations in one transaction, which ends at a
	// transaction: false migration and after an enum value is added.
	oneTxFile = "one-transaction.sql"
)

// writeHistory writes ms into dir in every tool's format.
func writeHistory(dir string, ms []*rmig) error {
	smDir, gooseDir := filepath.Join(dir, smSubdir), filepath.Join(dir, gooseSubdir)
	for _, d := range []string{smDir, gooseDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var all, rehearsal, apply, oneTx strings.Builder
	inTx := false
	for i, m := range ms {
		file := fmt.Sprintf("%05d_%s.sql", i+1, m.name)
		var sm, goose strings.Builder
		sm.WriteString("-- safe: before_deploy\n")
		goose.WriteString("-- +goose Up\n")
		if m.notx {
			sm.WriteString("-- transaction: false\n")
			goose.WriteString("-- +goose NO TRANSACTION\n")
		}
		sm.WriteString("\n")
		var body strings.Builder
		for _, st := range m.stmts {
			body.WriteString(st + ";\n")
			if strings.Contains(st, "$$") {
				goose.WriteString("-- +goose StatementBegin\n" + st + ";\n-- +goose StatementEnd\n")
			} else {
				goose.WriteString(st + ";\n")
			}
		}
		sm.WriteString(body.String())
		all.WriteString(body.String())
		if m.notx {
			apply.WriteString(body.String())
			if inTx {
				oneTx.WriteString("COMMIT;\n")
				inTx = false
			}
			oneTx.WriteString(body.String())
		} else {
			fmt.Fprintf(&rehearsal, "SAVEPOINT m%d;\n%sRELEASE SAVEPOINT m%d;\n", i, body.String(), i)
			apply.WriteString("BEGIN;\n" + body.String() + "COMMIT;\n")
			if !inTx {
				oneTx.WriteString("BEGIN;\n")
				inTx = true
			}
			fmt.Fprintf(&oneTx, "SAVEPOINT m%d;\n%sRELEASE SAVEPOINT m%d;\n", i, body.String(), i)
			if addsEnumValue(m) {
				oneTx.WriteString("COMMIT;\n")
				inTx = false
			}
		}
		if err := os.WriteFile(filepath.Join(smDir, file), []byte(sm.String()), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(gooseDir, file), []byte(goose.String()), 0o644); err != nil {
			return err
		}
	}
	if inTx {
		oneTx.WriteString("COMMIT;\n")
	}
	for name, text := range map[string]string{
		allFile:     all.String(),
		twoPassFile: "BEGIN;\n" + rehearsal.String() + "ROLLBACK;\n" + apply.String(),
		oneTxFile:   oneTx.String(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func addsEnumValue(m *rmig) bool {
	for _, st := range m.stmts {
		if strings.Contains(st, " ADD VALUE ") {
			return true
		}
	}
	return false
}
