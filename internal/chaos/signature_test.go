package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignatureGroupsOneDefectAcrossRoundsAndTenants(t *testing.T) {
	a := signature("preflight: ok\n✗ failed: /tmp/safemigrate-chaos-1/round0/0004_x.sql:4: migration 0004_x, statement 1: relation \"items_name_idx\" already exists (SQLSTATE 42P07)\nsafemigrate: error: apply failed")
	b := signature("  tenant_2  FAILED  /tmp/safemigrate-chaos-9/round7/0004_x.sql:4: migration 0004_x, statement 1: relation \"items_name_idx\" already exists (SQLSTATE 42P07)")
	require.Equal(t, `0004_x.sql:4: migration 0004_x, statement 1: relation "items_name_idx" already exists (SQLSTATE 42P07)`, a)
	require.Equal(t, a, b)
	require.Equal(t, "safemigrate: error: lock wait", signature("x\nsafemigrate: error: lock wait"))
	require.Equal(t, "session pid N of tenant_N", signature("session pid 4242 of tenant_3"))
}
