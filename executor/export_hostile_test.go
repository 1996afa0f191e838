package executor

import "time"

// SetUnreachableGrace shortens how long stall detection waits for any new
// connection to the server to answer, and returns the function that
// restores the default.
func SetUnreachableGrace(d time.Duration) (restore func()) {
	old := stallUnreachable.get()
	stallUnreachable.set(d)
	return func() { stallUnreachable.set(old) }
}
