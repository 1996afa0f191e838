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

// TestPartitionedIndexHint (ht10b LS6): PostgreSQL refuses CREATE INDEX
// CONCURRENTLY on a partitioned table, so the hint gives the procedure
// that works: the index ON ONLY the parent, built concurrently on each
// partition, attached. CREATE INDEX ON ONLY the parent builds nothing and
// is not reported.
func TestPartitionedIndexHint(t *testing.T) {
	history := lint.File{Path: "migrations/0001_measurements.sql", Src: []byte("-- safe: before_deploy\n" +
		"CREATE TABLE measurements (id bigint, taken_on date NOT NULL, value int) PARTITION BY RANGE (taken_on);\n" +
		"CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n")}
	for name, tc := range map[string]struct {
		sql, want string
		live      bool
	}{
		"partitioned": {"CREATE INDEX measurements_value ON measurements (value);",
			"CREATE INDEX measurements_value ON ONLY measurements (...);\n" +
				"-- for each partition, in a migration with `-- transaction: false`:\n" +
				"CREATE INDEX CONCURRENTLY \"measurements_value_<partition>\" ON <partition> (...);\n" +
				"ALTER INDEX measurements_value ATTACH PARTITION \"measurements_value_<partition>\";", false},
		"unique, from the live catalog": {`CREATE UNIQUE INDEX "Meas_id" ON measurements (id, taken_on);`,
			`CREATE UNIQUE INDEX "Meas_id" ON ONLY measurements (...);`, true},
		"a partition is a plain table": {"CREATE INDEX measurements_2024_value ON measurements_2024 (value);",
			"CREATE INDEX CONCURRENTLY measurements_2024_value ON measurements_2024 (value);", false},
	} {
		files := []lint.File{history, {Path: "migrations/0002_index.sql", Src: []byte("-- safe: before_deploy\n" + tc.sql + "\n")}}
		cfg := lint.Config{}
		if tc.live {
			files = files[1:]
			lt := liveTable("public", "measurements", true, 1<<20, 1<<19, 1000)
			lt.Partitioned = true
			cfg.Live = &lint.Live{Tables: []lint.LiveTable{lt}}
		}
		res := run(t, files, cfg)
		var hints []string
		for _, d := range res.Diagnostics {
			if d.Rule == "require-concurrent-index" {
				hints = append(hints, d.Hint)
			}
		}
		require.Len(t, hints, 1, name)
		assert.Contains(t, hints[0], tc.want, name)
	}
	only := lint.File{Path: "migrations/0002_index.sql", Src: []byte("-- safe: before_deploy\nCREATE INDEX measurements_value ON ONLY measurements (value);\n")}
	res := run(t, []lint.File{history, only}, lint.Config{})
	for _, d := range res.Diagnostics {
		assert.NotEqual(t, "require-concurrent-index", d.Rule, "ON ONLY a partitioned table builds nothing: %s", d)
	}
}

// TestUnnamedIndexMessage (ht10b O6): an index without a name is named
// by its table, not by an empty string.
func TestUnnamedIndexMessage(t *testing.T) {
	res := run(t, []lint.File{{Path: "migrations/0002_index.sql", Src: []byte("-- safe: before_deploy\nCREATE INDEX ON users (email);\n")}}, lint.Config{})
	require.Len(t, res.Diagnostics, 1)
	assert.Equal(t, "creates an unnamed index on users without CONCURRENTLY: the SHARE lock blocks writes to users while the index builds", res.Diagnostics[0].Message)
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
