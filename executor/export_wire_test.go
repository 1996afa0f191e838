package executor

import "time"

// SetStallTimings shortens the stall detection for a test and returns
// the function that restores the defaults.
func SetStallTimings(after, interval, grace time.Duration) (restore func()) {
	a, i, g := stallProbeAfter.get(), stallProbeInterval.get(), stallGrace.get()
	stallProbeAfter.set(after)
	stallProbeInterval.set(interval)
	stallGrace.set(grace)
	return func() {
		stallProbeAfter.set(a)
		stallProbeInterval.set(i)
		stallGrace.set(g)
	}
}
