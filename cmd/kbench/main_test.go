package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for kbench when a test starts
// shard processes (--local-shards runs this executable).
func TestMain(m *testing.M) {
	if os.Getenv("KBENCH_AS_MAIN") == "1" {
		os.Exit(realMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}
