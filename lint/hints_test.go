package lint_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/lint"
)

// TestHintsQuoteIdentifiers: SQL in hints is copied as it is, so every
// identifier is quoted the way PostgreSQL needs: a mixed-case or keyword
// name printed bare names another (lower-cased) object, or fails.
func TestHintsQuoteIdentifiers(t *testing.T) {
	tests := []struct {
		rule, sql, want string
	}{
		{"unique-without-using-index", `ALTER TABLE "App"."Sessions" ADD CONSTRAINT "Sessions_token_key" UNIQUE (token);`,
			`CREATE UNIQUE INDEX CONCURRENTLY "Sessions_token_key_idx" ON "App"."Sessions" (...);` + "\n" +
				`ALTER TABLE "App"."Sessions" ADD CONSTRAINT "Sessions_token_key" UNIQUE USING INDEX "Sessions_token_key_idx";`},
		{"set-not-null", `ALTER TABLE "App"."Sessions" ALTER COLUMN "Data" SET NOT NULL;`,
			`ALTER TABLE "App"."Sessions" ADD CONSTRAINT "Sessions_Data_not_null" CHECK ("Data" IS NOT NULL) NOT VALID;`},
		{"set-not-null", `ALTER TABLE users ALTER COLUMN email SET NOT NULL;`,
			`ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;`},
		{"add-column-rewriting-default", `ALTER TABLE "Orders" ADD COLUMN "Ref" uuid DEFAULT gen_random_uuid();`,
			`ALTER TABLE "Orders" ADD COLUMN "Ref" uuid;`},
		{"add-column-not-null", `ALTER TABLE users ADD COLUMN "user" text NOT NULL;`,
			`ALTER TABLE users ADD COLUMN "user" text;`},
		{"add-column-serial", `ALTER TABLE "Events" ADD COLUMN seq serial;`,
			`CREATE SEQUENCE "Events_seq_seq";`},
		{"add-column-generated-stored", `ALTER TABLE "Orders" ADD COLUMN "Total" numeric GENERATED ALWAYS AS (qty * price) STORED;`,
			`ALTER TABLE "Orders" ADD COLUMN "Total" numeric;`},
		{"change-column-type", `ALTER TABLE "Orders" ALTER COLUMN "Total" TYPE numeric(12,2);`,
			`ALTER TABLE "Orders" ADD COLUMN "Total_new" numeric(12,2);`},
		{"foreign-key-without-not-valid", `ALTER TABLE "Orders" ADD COLUMN "CustomerId" bigint REFERENCES customers (id);`,
			`ALTER TABLE "Orders" ADD CONSTRAINT name FOREIGN KEY ("CustomerId") REFERENCES ... NOT VALID;`},
		{"rename-table", `ALTER TABLE "Legacy"."Customers" RENAME TO clients;`,
			`CREATE VIEW "Legacy"."Customers" AS SELECT * FROM <new>;`},
		{"require-concurrent-reindex", `REINDEX INDEX "App"."Sessions_pkey";`,
			`REINDEX (CONCURRENTLY) INDEX "App"."Sessions_pkey";`},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			res := run(t, []lint.File{{Path: "migrations/0002_change.sql", Src: []byte("-- safe: after_deploy\n" + tt.sql + "\n")}}, lint.Config{})
			var hints []string
			for _, d := range res.Diagnostics {
				if d.Rule == tt.rule {
					hints = append(hints, d.Hint)
				}
			}
			require.Len(t, hints, 1, "%s reports %s once", tt.sql, tt.rule)
			assert.Contains(t, hints[0], tt.want)
		})
	}
}

// TestHintsInTheFileLayout: in a goose file the hint to run outside a
// transaction said to add `-- transaction: false`; goose files say it
// with `-- +goose NO TRANSACTION` (the loader reads either), dbmate files
// on their `-- migrate:up` line.
func TestHintsInTheFileLayout(t *testing.T) {
	tests := []struct {
		name, file, src, rule, want string
	}{
		{"goose concurrently", "00002_users_email.sql",
			"-- safe: before_deploy\n-- +goose Up\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n\n-- +goose Down\nDROP INDEX users_email;\n",
			"concurrently-in-transaction", "add `-- +goose NO TRANSACTION` to the header"},
		{"goose plain index", "00002_users_email.sql",
			"-- safe: before_deploy\n-- +goose Up\nCREATE INDEX users_email ON users (email);\n\n-- +goose Down\nDROP INDEX users_email;\n",
			"require-concurrent-index", "The migration needs `-- +goose NO TRANSACTION` in its header."},
		{"dbmate concurrently", "20240101000000_users_email.sql",
			"-- safe: before_deploy\n-- migrate:up\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n\n-- migrate:down\nDROP INDEX users_email;\n",
			"concurrently-in-transaction", "add `-- migrate:up transaction:false` to the header"},
		{"safemigrate layout", "0002_users_email.sql",
			"-- safe: before_deploy\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n",
			"concurrently-in-transaction", "add `-- transaction: false` to the header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := "0001_users.sql"
			if tt.name != "safemigrate layout" {
				users = tt.file[:len(tt.file)-len("2_users_email.sql")] + "1_users.sql"
			}
			usersSrc := "-- safe: before_deploy\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
			switch {
			case strings.Contains(tt.src, "+goose"):
				usersSrc = "-- safe: before_deploy\n-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
			case strings.Contains(tt.src, "migrate:up"):
				usersSrc = "-- safe: before_deploy\n-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
			}
			files, err := lint.Dir(fstest.MapFS{users: {Data: []byte(usersSrc)}, tt.file: {Data: []byte(tt.src)}}, "migrations")
			require.NoError(t, err)
			var hints []string
			for _, d := range run(t, files, lint.Config{}).Diagnostics {
				if d.Rule == tt.rule {
					hints = append(hints, d.Hint)
				}
			}
			require.Len(t, hints, 1, "%s reports %s once", tt.file, tt.rule)
			assert.Contains(t, hints[0], tt.want)
			if tt.name != "safemigrate layout" {
				assert.NotContains(t, hints[0], "-- transaction: false")
			}
		})
	}
}
