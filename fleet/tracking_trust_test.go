package fleet_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
)

// TestUntrustedTrackingTableInOneTenantRefusesTheFleet: the tracking
// tables are checked per tenant schema, for the run and for the states.
func TestUntrustedTrackingTableInOneTenantRefusesTheFleet(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	d.exec(t, `
CREATE TABLE b.safemigrate_migrations (id text PRIMARY KEY, checksum text NOT NULL, safe text NOT NULL, phase text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL);
CREATE FUNCTION b.nop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t BEFORE INSERT ON b.safemigrate_migrations FOR EACH ROW EXECUTE FUNCTION b.nop();`)
	g := load(t, "0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n")
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})

	_, err := f.Run(ctx(t), g, post(nil))
	require.ErrorIs(t, err, executor.ErrUntrustedTracking)
	assert.Contains(t, err.Error(), "b.safemigrate_migrations has 1 trigger(s)")
	assert.Empty(t, d.tables(t, "a"), "nothing ran in a either")

	_, err = f.States(ctx(t), 0)
	require.ErrorIs(t, err, executor.ErrUntrustedTracking)
}

// TestFleetConnectionsEndIdleTransactions: the fleet's own connection
// (the one that runs the tenants query in a read-only transaction) is
// configured like the executor's sessions.
func TestFleetConnectionsEndIdleTransactions(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	f := d.fleetOf(t, fleet.Source{Query: `SELECT CASE WHEN current_setting('idle_in_transaction_session_timeout') = '1min' THEN 'a' ELSE 'b' END`})
	assert.Equal(t, []string{"a"}, f.Schemas())
}
