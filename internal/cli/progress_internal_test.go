package cli

import (
	"os"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIsTerminal: /dev/null is a character device but no terminal, so no
// status line (nor colour) goes there; a pseudo-terminal is one.
func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer null.Close()
	assert.False(t, isTerminal(null))

	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	require.NoError(t, pty.Setsize(tty, &pty.Winsize{Rows: 24, Cols: 77}))
	assert.True(t, isTerminal(tty))
	assert.True(t, isTerminal(&trackingWriter{w: tty, wrote: new(bool)}))
	assert.Equal(t, 77, termWidth(tty))
}
