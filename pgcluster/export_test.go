package pgcluster

// Hooks for the black-box tests in package pgcluster_test.
const (
	DirPrefix = dirPrefix
	OwnerFile = ownerFile
)

// ServerPID returns the pid of the cluster's postmaster.
func ServerPID(c *Cluster) int { return c.proc.Pid }

// ProcessAlive reports whether a process with this pid exists.
var ProcessAlive = processAlive

// Password returns the cluster superuser's password.
func Password(c *Cluster) string { return c.password }
