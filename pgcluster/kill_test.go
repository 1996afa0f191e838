package pgcluster_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

const helperEnv = "PGCLUSTER_TEST_HELPER_PARENT"

// TestKilledOwner starts a cluster in a child process, kills the child
// with SIGKILL (no chance to clean up) and checks that the server dies
// with it and that the next Start removes the orphaned directory.
func TestKilledOwner(t *testing.T) {
	if parent := os.Getenv(helperEnv); parent != "" {
		c, err := pgcluster.Start(context.Background(), pgcluster.Options{TempDir: parent})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Printf("started %d %s\n", pgcluster.ServerPID(c), c.Dir())
		time.Sleep(time.Minute)
		os.Exit(3)
	}
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal exists only on Linux")
	}

	parent := tempParent(t)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKilledOwner$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+parent)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start a cluster")
	}
	fields := strings.Fields(line)
	require.Len(t, fields, 3, "child said %q", line)
	require.Equal(t, "started", fields[0], "child said %q", line)
	serverPID, err := strconv.Atoi(fields[1])
	require.NoError(t, err)
	orphan := fields[2]

	require.NoError(t, cmd.Process.Kill()) // SIGKILL
	_ = cmd.Wait()
	assert.Eventually(t, func() bool { return !pgcluster.ProcessAlive(serverPID) },
		10*time.Second, 50*time.Millisecond, "server outlived its parent")
	require.DirExists(t, orphan)

	c := start(t, pgcluster.Options{TempDir: parent})
	assert.NoDirExists(t, orphan, "orphaned directory not swept")
	assert.DirExists(t, c.Dir())
}
