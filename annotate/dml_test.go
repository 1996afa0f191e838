package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

const shop = "CREATE TABLE customers (id bigint PRIMARY KEY, email text UNIQUE, tier text);\n" +
	"CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, tier text, status text);\n" +
	"CREATE INDEX orders_customer ON orders (customer_id);\n"

func firstAction(t *testing.T, an *annotate.Analysis, i int) annotate.Action {
	t.Helper()
	require.Greater(t, len(an.Statements), i)
	require.NotEmpty(t, an.Statements[i].Actions)
	return an.Statements[i].Actions[0]
}

func TestBulkDML(t *testing.T) {
	tests := []struct {
		sql  string
		bulk bool
	}{
		{"UPDATE orders o SET tier = c.tier FROM customers c WHERE o.customer_id = c.id;", true},
		{"DELETE FROM orders WHERE status = 'cancelled';", true},
		{"UPDATE orders SET tier = 'basic' WHERE tier IS NULL;", false}, // without FROM: a backfill, not judged
		{"DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.tier = 'gone';", true},
		{"UPDATE orders SET status = 'done' WHERE id = 42;", false},
		{"UPDATE orders o SET tier = c.tier FROM customers c WHERE o.customer_id = c.id AND o.id BETWEEN 1 AND 10000;", false},
		{"DELETE FROM customers WHERE email = 'spam@example.com';", false},
		{"DELETE FROM orders WHERE customer_id IN (7, 8) OR (id >= 1 AND id < 100);", false},
		// A one-sided range is open: id > 0 is every row.
		{"DELETE FROM orders WHERE id > 0;", true},
		{`DELETE FROM "Orders" WHERE id > 0;`, true},
		{"DELETE FROM orders WHERE customer_id IN (7, 8) OR id < 100;", true},
		{"DELETE FROM orders WHERE id >= 5000 AND status = 'void' AND id < 10000;", false},
		{"DELETE FROM orders WHERE 5000 <= id AND id < 10000;", false},
		{"DELETE FROM orders WHERE id > 5000 AND customer_id < 10000;", true},
		// MERGE that updates or deletes matched rows found by a join.
		{`MERGE INTO "Orders" o USING app_customers c ON o.customer_id = c.id WHEN MATCHED THEN UPDATE SET tier = c.tier;`, true},
		{"MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN MATCHED THEN DELETE;", true},
		{"MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN NOT MATCHED THEN INSERT (id, customer_id) VALUES (c.id, c.id);", false},
		{"MERGE INTO orders o USING (SELECT 42 AS id, 'gold' AS tier) s ON o.id = s.id WHEN MATCHED THEN UPDATE SET tier = s.tier;", false},
		{"DELETE FROM orders WHERE customer_id = 7 OR status = 'x';", true},
		{"UPDATE orders SET status = 'x';", false}, // no WHERE: dml-without-where's case
		{"UPDATE orders SET tier = 'basic' WHERE id IN (SELECT id FROM orders WHERE tier IS NULL LIMIT 5000);", false},
		{"DELETE FROM orders WHERE status IN (SELECT status FROM orders);", true},
		{"DELETE FROM orders WHERE id IN (SELECT id FROM orders WHERE status = 'void' LIMIT 5000);", false},
	}
	for _, tt := range tests {
		an := analyseAll(t, annotate.Options{}, shop, tt.sql)
		assert.Equal(t, tt.bulk, firstAction(t, an, 0).Unselective, tt.sql)
	}
	// Unknown tables: an equality may be a key lookup.
	an, err := annotate.Analyze("DELETE FROM settings WHERE key = 'x';\nDELETE FROM settings WHERE updated_at < now();", annotate.Options{})
	require.NoError(t, err)
	assert.False(t, firstAction(t, an, 0).Unselective)
	assert.True(t, firstAction(t, an, 1).Unselective)
}

func TestCopyThenDrop(t *testing.T) {
	an := analyseAll(t, annotate.Options{}, shop,
		"CREATE TABLE orders_new AS SELECT id, customer_id, tier FROM orders WHERE status <> 'void';\nDROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;\n")
	assert.Equal(t, migration.AfterDeploy, an.Suggested)
	drop := firstAction(t, an, 1)
	assert.Equal(t, 1, drop.CopiedAt)
	assert.Equal(t, "line 2: drops table orders after copying it on line 1: rows old code writes to it in between are lost", an.Reason)

	an = analyseAll(t, annotate.Options{}, shop, "INSERT INTO customers (id, email) SELECT customer_id, NULL FROM orders;\nDROP TABLE orders;")
	assert.Equal(t, 1, firstAction(t, an, 1).CopiedAt, "INSERT ... SELECT copies too")

	an = analyseAll(t, annotate.Options{}, shop, "DROP TABLE orders;")
	assert.Zero(t, firstAction(t, an, 0).CopiedAt)
}

func TestForeignKeyFromNewTableLocksReferenced(t *testing.T) {
	an := analyseAll(t, annotate.Options{}, shop,
		"CREATE TABLE notes AS SELECT id AS order_id FROM orders;\nALTER TABLE notes ADD CONSTRAINT notes_fk FOREIGN KEY (order_id) REFERENCES orders (id);\n")
	var ref *annotate.Action
	for i, a := range an.Statements[1].Actions {
		if a.Referenced {
			ref = &an.Statements[1].Actions[i]
		}
	}
	require.NotNil(t, ref)
	assert.False(t, ref.New, "orders exists: validating holds SHARE ROW EXCLUSIVE on it")
	assert.Equal(t, annotate.ShareRowExclusive, ref.Lock)
}
