package cli_test

import (
	"os"
	"testing"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
