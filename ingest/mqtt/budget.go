package mqtt

import (
	"sync"
	"time"
)

// budget bounds the messages Lantian holds: received from the broker and not yet acknowledged
// or given up. When it is spent, the collector stops taking messages off the connection until
// held messages become durable, so the broker (and TCP) keep the rest of a backlog however wide
// the broker's in-flight window is.
type budget struct {
	maxMsgs  int64
	maxBytes int64

	mu    sync.Mutex
	freed *sync.Cond
	budgetState
	closed bool
}

// budgetState is what is held now and the most held at once since start.
type budgetState struct {
	msgs, bytes         int64
	peakMsgs, peakBytes int64
}

func (b *budget) state() budgetState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.budgetState
}

func newBudget(maxMsgs, maxBytes int64) *budget {
	b := &budget{maxMsgs: maxMsgs, maxBytes: maxBytes}
	b.freed = sync.NewCond(&b.mu)
	return b
}

// fits reports whether a message of n bytes may be taken now. One message is always taken when
// nothing is held, so a message larger than the byte budget cannot stall the session.
func (b *budget) fits(n int64) bool {
	return b.msgs == 0 || (b.msgs < b.maxMsgs && b.bytes+n <= b.maxBytes)
}

// acquire takes room for a message of n bytes, waiting while the budget is spent. It returns
// how long it waited, and ok false once the budget is closed (the collector is stopping).
func (b *budget) acquire(n int64) (waited time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.fits(n) && !b.closed {
		began := time.Now()
		for !b.fits(n) && !b.closed {
			b.freed.Wait()
		}
		waited = time.Since(began)
	}
	if b.closed {
		return waited, false
	}
	b.msgs++
	b.bytes += n
	b.peakMsgs = max(b.peakMsgs, b.msgs)
	b.peakBytes = max(b.peakBytes, b.bytes)
	return waited, true
}

// release gives back the room of a message of n bytes.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.msgs--
	b.bytes -= n
	b.mu.Unlock()
	// Only paho's router goroutine ever waits.
	b.freed.Signal()
}

// close wakes a waiting acquire for good.
func (b *budget) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.freed.Broadcast()
}
