package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate"
)

// TestRunGroupsNameTheirTenantsAndCountMigrations: when tenants' plans
// differ, each group's title says how many tenants it covers, names them,
// and counts migrations in words ("(1)" after a list of tenants read as a
// tenant count).
func TestRunGroupsNameTheirTenantsAndCountMigrations(t *testing.T) {
	one := &safemigrate.PlanReport{Run: []safemigrate.Step{{ID: "0002_b", Safe: "before_deploy"}}}
	two := &safemigrate.PlanReport{
		Run:     []safemigrate.Step{{ID: "0001_a", Safe: "before_deploy"}, {ID: "0002_b", Safe: "before_deploy"}},
		Delayed: []safemigrate.DelayedStep{{Step: safemigrate.Step{ID: "0003_c", Safe: "after_deploy"}}},
	}
	var out bytes.Buffer
	renderRunGroups(&Env{Stdout: &out}, []tenantPlan{{"acme", one}, {"globex", two}, {"initech", one}})
	assert.Contains(t, out.String(), "Run in 2 tenants (acme, initech), in order (1 migration):\n")
	assert.Contains(t, out.String(), "Run in 1 tenant (globex), in order (2 migrations):\n")
	assert.Contains(t, out.String(), "Delayed until later in 1 tenant (globex), 1 migration:\n")
}
