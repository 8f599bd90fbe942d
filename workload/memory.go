package workload

import (
	"fmt"
	"strconv"
)

// defaultFetchMaxBytes is the Java consumer's fetch.max.bytes, what one
// consumer may hold of one fetch response.
const defaultFetchMaxBytes = 50 << 20

// MemoryEstimate is a lower bound on the memory kbench needs for the
// resolved workload w: every producer may hold maxInFlight buffers of the
// largest message plus its payload,
//
//	producers × (maxInFlight + 1) × largest message,
//
// random payloads a pool of randomizedPayloadPoolSize bodies, and every
// consumer a fetch response (fetch.max.bytes, but at least one message).
// Client libraries and histograms come on top.
func MemoryEstimate(w *Workload) int64 {
	largest := int64(w.MaxMessageSize())
	producers := int64(w.Topics) * int64(w.ProducersPerTopic)
	consumers := int64(w.Topics) * int64(w.SubscriptionsPerTopic) * int64(w.ConsumerPerSubscription)
	fetch := int64(defaultFetchMaxBytes)
	if n, err := strconv.ParseInt(w.Consumer["fetch.max.bytes"], 10, 64); err == nil && n > 0 {
		fetch = n
	}
	pool := int64(0)
	if w.UseRandomizedPayloads {
		pool = int64(w.RandomizedPayloadPoolSize) * largest
	}
	return producers*(int64(w.MaxInFlight)+1)*largest + pool + consumers*max(fetch, largest)
}

// CheckMemory refuses a resolved workload whose MemoryEstimate exceeds
// available bytes, saying what it would need and what to lower.
func CheckMemory(w *Workload, available int64) error {
	need := MemoryEstimate(w)
	if available <= 0 || need <= available {
		return nil
	}
	return Bad(fmt.Errorf("the workload would need at least %s of memory (%d producer(s) × %d message buffers × %d bytes, and the consumers' fetches), but this machine has %s (its memory, or its container's limit when lower): lower messageSize, maxInFlight or the number of producers",
		bytesText(need), w.Topics*w.ProducersPerTopic, w.MaxInFlight+1, w.MaxMessageSize(), bytesText(available)))
}

// bytesText writes n in GiB, or MiB below 1 GiB.
func bytesText(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}
