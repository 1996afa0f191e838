package pgcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// dirPrefix starts the name of every cluster's temporary directory.
	dirPrefix = "safemigrate-pgcluster-"
	// ownerFile, inside that directory, holds the pid and host name of
	// the process that created it.
	ownerFile = "owner"
	// orphanAge is how old a directory without a readable owner file must
	// be before the sweep removes it (a new one lacks it for a moment).
	orphanAge = time.Hour
)

// writeOwner records this process as the owner of dir.
func writeOwner(dir string) error {
	host, _ := os.Hostname()
	content := fmt.Sprintf("%d\n%s\n", os.Getpid(), host)
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(content), 0o644)
}

// sweep removes the cluster directories in parent whose owner process,
// on this host, no longer exists. It is best effort: directories it
// cannot read or remove are left alone. A server still running in a
// removed directory (possible where there is no parent-death signal)
// notices within a minute that its lock file is gone and shuts down.
func sweep(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	host, _ := os.Hostname()
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if stale(dir, host) {
			_ = os.RemoveAll(dir)
		}
	}
}

func stale(dir, host string) bool {
	data, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		fi, err := os.Stat(dir)
		return err == nil && time.Since(fi.ModTime()) > orphanAge
	}
	fields := strings.Split(strings.TrimSpace(string(data)), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(fields[0]))
	if err != nil || pid <= 0 {
		return false
	}
	if len(fields) > 1 && strings.TrimSpace(fields[1]) != host {
		return false // another machine or container sharing the directory
	}
	return pid != os.Getpid() && !processAlive(pid)
}
