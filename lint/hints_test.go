package lint_test

import (
	"testing"

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
