package results

// Backlog is what a backlog run (consumerBacklogSizeGB) measured: the
// producers built a backlog of SizeBytes with the consumers paused, then
// the consumers drained it while the producers went on.
type Backlog struct {
	// SizeBytes is the backlog asked for; BuiltBytes what was acknowledged
	// when the consumers resumed.
	SizeBytes  int64 `json:"size_bytes"`
	BuiltBytes int64 `json:"built_bytes"`
	// BuildS is the time to build it, from the start of producing.
	BuildS float64 `json:"build_s"`
	// CatchUpS is the time from the consumers' resumption until their lag
	// was back under one second of production; -1 if they never caught
	// up before the run ended.
	CatchUpS float64 `json:"catch_up_s"`
	// DrainRateMsgs and DrainRateMiB are what the consumers read per
	// second (each subscription) over the catch-up, or until the run
	// ended if they never caught up.
	DrainRateMsgs float64 `json:"drain_rate_msgs"`
	DrainRateMiB  float64 `json:"drain_rate_mib"`
}
