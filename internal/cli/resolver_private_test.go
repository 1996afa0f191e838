package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/internal/config"
)

// TestTenantKeysReachFlags: tenants.jobs and tenants.jobs_per_server give
// --jobs and --jobs-per-server their value when the command line does not.
func TestTenantKeysReachFlags(t *testing.T) {
	c := config.Config{Tenants: config.Tenants{Jobs: 3, JobsPerServer: 2}}
	assert.Equal(t, "3", fromConfig(c, "jobs"))
	assert.Equal(t, "2", fromConfig(c, "jobs-per-server"))
	assert.Nil(t, fromConfig(config.Config{}, "jobs-per-server"), "absent: the fleet uses --jobs")
}
