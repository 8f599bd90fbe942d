package bench

import "math/rand/v2"

// seededRand returns a generator for stream i of the workload's seed, so
// sizes, keys, payloads and random fault targets repeat with the seed.
func seededRand(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(i)+1))
}
