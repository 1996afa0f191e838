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

// SetConnectTimeout shortens the default connect timeout and returns the
// function that restores it.
func SetConnectTimeout(d time.Duration) (restore func()) {
	old := connectTimeout.get()
	connectTimeout.set(d)
	return func() { connectTimeout.set(old) }
}
