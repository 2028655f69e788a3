package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go heap's soft limit for `lantian run` when GOMEMLIMIT is not set.
// Lantian's live heap is bounded (held messages, the writer's queue, the assessor's window),
// about 60 MB with a thousand stations in a backlog drain; with the Go default the heap may
// grow to twice that before collecting, so the soft limit keeps the process near 150 MB
// without a cost in the steady state, where the heap stays far below it.
const defaultMemoryLimit = 112 << 20

// applyMemoryLimit sets the soft limit unless the operator set GOMEMLIMIT (which Go applies).
func applyMemoryLimit(log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	log.Debug("Go soft memory limit set", "bytes", defaultMemoryLimit)
}
