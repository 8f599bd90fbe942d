package results

// Metric names one figure of a broker's telemetry (BrokerInterval.Values).
// Counters read from the brokers are kept as rates per second of their
// interval; gauges as read at the interval's end. docs/results.md lists
// where each comes from.
type Metric string

// The broker figures kbench records. A figure the source could not give is
// absent from Values: unknown, never 0.
const (
	// CPUCores is the broker process's CPU time per second (1 = one core
	// busy); HostCPUCores the whole machine's busy cores and HostCPUs its
	// cores (node_exporter, external clusters).
	CPUCores     Metric = "cpu_cores"
	HostCPUCores Metric = "host_cpu_cores"
	HostCPUs     Metric = "host_cpus"
	// RSSMiB is the broker process's resident memory.
	RSSMiB Metric = "rss_mib"
	// DiskReadBps and DiskWriteBps are bytes per second read from and
	// written to storage: the process's on the local target
	// (/proc/PID/io), the machine's disks' on an external one.
	DiskReadBps  Metric = "disk_read_bps"
	DiskWriteBps Metric = "disk_write_bps"
	// DiskBusy is the share of the interval the busiest disk had I/O in
	// progress (node_exporter's io time; 1 = saturated).
	DiskBusy Metric = "disk_busy"
	// NetRxBps and NetTxBps are the machine's network bytes per second
	// (node_exporter, loopback left out), NetSpeedBps its links' speed.
	NetRxBps    Metric = "net_rx_bps"
	NetTxBps    Metric = "net_tx_bps"
	NetSpeedBps Metric = "net_speed_bps"
	// LogDirBytes is the size of the broker's log directory (all its
	// partitions' logs and indexes).
	LogDirBytes Metric = "log_dir_bytes"
	// BytesInPerS, BytesOutPerS and MessagesInPerS are Kafka's
	// BrokerTopicMetrics over every topic: bytes from and to clients
	// (record batches as sent, compressed), and records appended;
	// ReplicationBytesInPerS and ReplicationBytesOutPerS the bytes
	// between brokers.
	BytesInPerS             Metric = "bytes_in_per_s"
	BytesOutPerS            Metric = "bytes_out_per_s"
	MessagesInPerS          Metric = "messages_in_per_s"
	ReplicationBytesInPerS  Metric = "replication_bytes_in_per_s"
	ReplicationBytesOutPerS Metric = "replication_bytes_out_per_s"
	// RequestHandlerIdle is the request handler threads' average idle
	// share (0..1) over the interval; NetworkProcessorIdle the network
	// threads' (a gauge Kafka averages over its own window).
	RequestHandlerIdle   Metric = "request_handler_idle"
	NetworkProcessorIdle Metric = "network_processor_idle"
	// Produce and fetch (consumer) request time p99, in ms, split as
	// Kafka's RequestMetrics split it: total, waiting in the request
	// queue, local processing (the log append or read), remote (waiting
	// for followers, acks=all, or for data, a fetch's wait). Kafka's
	// percentiles come from a reservoir biased to the last minutes, not
	// from the interval alone.
	ProduceTotalP99Ms  Metric = "produce_total_p99_ms"
	ProduceQueueP99Ms  Metric = "produce_queue_p99_ms"
	ProduceLocalP99Ms  Metric = "produce_local_p99_ms"
	ProduceRemoteP99Ms Metric = "produce_remote_p99_ms"
	FetchTotalP99Ms    Metric = "fetch_total_p99_ms"
	FetchQueueP99Ms    Metric = "fetch_queue_p99_ms"
	FetchLocalP99Ms    Metric = "fetch_local_p99_ms"
	FetchRemoteP99Ms   Metric = "fetch_remote_p99_ms"
	// UnderReplicated and UnderMinISR count the broker's partitions
	// lacking replicas in sync, and those below min.insync.replicas (acks=all
	// produces to them fail).
	UnderReplicated Metric = "under_replicated"
	UnderMinISR     Metric = "under_min_isr"
	// ISRShrinksPerS and ISRExpandsPerS are changes of in-sync replica
	// sets led by the broker.
	ISRShrinksPerS Metric = "isr_shrinks_per_s"
	ISRExpandsPerS Metric = "isr_expands_per_s"
	// ActiveController is 1 on the node that is the active controller.
	ActiveController Metric = "active_controller"
	// GCMsPerS is the JVM's garbage collection time, in ms per second.
	GCMsPerS Metric = "gc_ms_per_s"
)

// Telemetry is what the run's processes spent, on the run's timeline:
// kbench's own CPU always, the brokers' figures when they could be read.
type Telemetry struct {
	// Source is how the brokers' figures were read: local (each broker's
	// JMX exporter agent and /proc, on the local target), scrape (the
	// Prometheus endpoints given with --broker-metrics), off (sampling
	// turned off) or none (the target has no telemetry).
	Source string `json:"source"`
	// Endpoints are the URLs scraped.
	Endpoints []string `json:"endpoints,omitempty"`
	// SharedCores is set when the brokers ran on the machine kbench ran
	// on, sharing its cores: such a run cannot show how throughput scales
	// with brokers, and neither side's CPU is its own.
	SharedCores bool `json:"shared_cores,omitempty"`
	// Client is kbench's own process, per interval.
	Client []ClientInterval `json:"client,omitempty"`
	// ClientCPU summarises Client's CPU cores over the measurement
	// window.
	ClientCPU *Stat `json:"client_cpu,omitempty"`
	// HostCPU summarises Client's HostCPUCores likewise: the machine
	// kbench ran on, busy cores.
	HostCPU *Stat `json:"host_cpu,omitempty"`
	// Brokers holds one entry per broker per interval, in time order.
	Brokers []BrokerInterval `json:"brokers,omitempty"`
	// BrokerSummary summarises each broker over the measurement window.
	BrokerSummary []BrokerSummary `json:"broker_summary,omitempty"`
}

// ClientInterval is kbench's own process over one interval.
type ClientInterval struct {
	Start float64 `json:"start_s"`
	End   float64 `json:"end_s"`
	// CPUCores is the process's CPU time per second of the interval;
	// HostCPUCores the machine's busy cores (every process's), when
	// known.
	CPUCores     float64  `json:"cpu_cores"`
	HostCPUCores *float64 `json:"host_cpu_cores,omitempty"`
}

// BrokerInterval is one broker's figures over one interval of the run's
// timeline (offsets from the run's start, in seconds, as Interval's).
type BrokerInterval struct {
	Broker int32 `json:"broker"`
	// Host is the machine whose endpoints were scraped (external
	// clusters).
	Host   string  `json:"host,omitempty"`
	Start  float64 `json:"start_s"`
	End    float64 `json:"end_s"`
	Warmup bool    `json:"warmup,omitempty"`
	// Values are the figures read; an absent one is unknown.
	Values map[Metric]float64 `json:"values,omitempty"`
	// Error says why some or all figures could not be read.
	Error string `json:"error,omitempty"`
}

// BrokerSummary is one broker's figures over the measurement window.
type BrokerSummary struct {
	Broker int32  `json:"broker"`
	Host   string `json:"host,omitempty"`
	// Intervals counts the measurement window's intervals with figures.
	Intervals int             `json:"intervals"`
	Stats     map[Metric]Stat `json:"stats"`
}

// Stat is a figure's mean, least and greatest value over intervals; for
// a rate (cpu_cores, or a metric ending in _per_s or _bps), Total is its sum over the
// intervals' lengths (bytes, messages).
type Stat struct {
	Mean  float64 `json:"mean"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Total float64 `json:"total,omitempty"`
}

// Limit names the resource that bounded a run, with its evidence.
type Limit struct {
	// Resource is one of the Limit* constants.
	Resource string `json:"resource"`
	// Evidence says which figures show it.
	Evidence string `json:"evidence"`
	// Also lists other resources at their limit, with their evidence.
	Also []string `json:"also,omitempty"`
}

// The resources a Limit names.
const (
	LimitNone              = "none"               // the rate asked for was met
	LimitClientCPU         = "client-cpu"         // kbench's process had its cores busy
	LimitInFlight          = "in-flight"          // kbench's own in-flight bound held the producers back
	LimitBrokerCPU         = "broker-cpu"         // a broker's process (or machine) had its cores busy
	LimitSharedCPU         = "shared-cpu"         // brokers and kbench together filled the one machine's cores
	LimitRequestHandlers   = "request-handlers"   // a broker's request handler threads were idle under 20%
	LimitNetworkProcessors = "network-processors" // a broker's network threads were idle under 20%
	LimitDisk              = "disk"               // a broker's disk was busy
	LimitNetwork           = "network"            // a broker's links carried near their speed
	LimitReplication       = "replication"        // partitions fell under min.insync.replicas
	LimitUnknown           = "unknown"            // nothing measured reached a limit
)
