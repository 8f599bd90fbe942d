package telemetry

import "github.com/kbench/kbench/results"

// kind is how a metric's samples turn into a figure.
type kind int

const (
	gauge   kind = iota // as read
	counter             // a rate: its growth per second of the interval
)

// agg is how the samples of one metric's series combine.
type agg int

const (
	sum   agg = iota // all series added (devices, collectors, CPUs)
	most             // the busiest series (the busiest disk)
	count            // the number of series (CPUs)
)

// mapping reads one Prometheus metric into one of kbench's figures.
type mapping struct {
	name string
	// labels the samples must carry; a value starting with "!" is one
	// they must not carry.
	labels map[string]string
	metric results.Metric
	kind   kind
	agg    agg
	// scale multiplies the samples (before a counter's rate): to seconds
	// from nanoseconds, to ms from seconds, to MiB from bytes.
	scale float64
}

// table is the one mapping from the metric names brokers' Prometheus
// endpoints export to kbench's figures: the names of the JMX exporter's
// example Kafka rules (which kbench's own rules for the local target,
// cluster/local/kafka/jmx-exporter.yaml, also produce), the exporter's
// JVM and process metrics, and node_exporter's. Where two rows give the
// same figure, the first present wins. docs/results.md lists it; keep
// both in step (a test checks).
var table = []mapping{
	// The broker process (the JMX exporter's own collectors).
	{name: "process_cpu_seconds_total", metric: results.CPUCores, kind: counter, scale: 1},
	{name: "process_resident_memory_bytes", metric: results.RSSMiB, kind: gauge, scale: 1.0 / (1 << 20)},
	{name: "jvm_gc_collection_seconds_sum", metric: results.GCMsPerS, kind: counter, scale: 1000},

	// Kafka's MBeans.
	{name: "kafka_server_brokertopicmetrics_bytesin_total", metric: results.BytesInPerS, kind: counter, scale: 1},
	{name: "kafka_server_brokertopicmetrics_bytesout_total", metric: results.BytesOutPerS, kind: counter, scale: 1},
	{name: "kafka_server_brokertopicmetrics_messagesin_total", metric: results.MessagesInPerS, kind: counter, scale: 1},
	{name: "kafka_server_brokertopicmetrics_replicationbytesin_total", metric: results.ReplicationBytesInPerS, kind: counter, scale: 1},
	{name: "kafka_server_brokertopicmetrics_replicationbytesout_total", metric: results.ReplicationBytesOutPerS, kind: counter, scale: 1},
	// The meter's count grows by the handlers' idle nanoseconds over their
	// number: its rate is the idle share of the interval itself. The
	// example rules' gauge is the meter's rate since the broker started.
	{name: "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_total", metric: results.RequestHandlerIdle, kind: counter, scale: 1e-9},
	{name: "kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent", metric: results.RequestHandlerIdle, kind: gauge, scale: 1},
	{name: "kafka_network_socketserver_networkprocessoravgidle_percent", metric: results.NetworkProcessorIdle, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_totaltimems", labels: map[string]string{"request": "Produce", "quantile": "0.99"}, metric: results.ProduceTotalP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_requestqueuetimems", labels: map[string]string{"request": "Produce", "quantile": "0.99"}, metric: results.ProduceQueueP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_localtimems", labels: map[string]string{"request": "Produce", "quantile": "0.99"}, metric: results.ProduceLocalP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_remotetimems", labels: map[string]string{"request": "Produce", "quantile": "0.99"}, metric: results.ProduceRemoteP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_totaltimems", labels: map[string]string{"request": "FetchConsumer", "quantile": "0.99"}, metric: results.FetchTotalP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_requestqueuetimems", labels: map[string]string{"request": "FetchConsumer", "quantile": "0.99"}, metric: results.FetchQueueP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_localtimems", labels: map[string]string{"request": "FetchConsumer", "quantile": "0.99"}, metric: results.FetchLocalP99Ms, kind: gauge, scale: 1},
	{name: "kafka_network_requestmetrics_remotetimems", labels: map[string]string{"request": "FetchConsumer", "quantile": "0.99"}, metric: results.FetchRemoteP99Ms, kind: gauge, scale: 1},
	{name: "kafka_server_replicamanager_underreplicatedpartitions", metric: results.UnderReplicated, kind: gauge, scale: 1},
	{name: "kafka_server_replicamanager_underminisrpartitioncount", metric: results.UnderMinISR, kind: gauge, scale: 1},
	{name: "kafka_server_replicamanager_isrshrinks_total", metric: results.ISRShrinksPerS, kind: counter, scale: 1},
	{name: "kafka_server_replicamanager_isrexpands_total", metric: results.ISRExpandsPerS, kind: counter, scale: 1},
	{name: "kafka_controller_kafkacontroller_activecontrollercount", metric: results.ActiveController, kind: gauge, scale: 1},
	// The partitions' log sizes, added up: the log directories' bytes.
	{name: "kafka_log_log_size", metric: results.LogDirBytes, kind: gauge, scale: 1},

	// The machine (node_exporter).
	{name: "node_cpu_seconds_total", labels: map[string]string{"mode": "!idle"}, metric: results.HostCPUCores, kind: counter, scale: 1},
	{name: "node_cpu_seconds_total", labels: map[string]string{"mode": "idle"}, metric: results.HostCPUs, kind: gauge, agg: count, scale: 1},
	{name: "node_disk_read_bytes_total", metric: results.DiskReadBps, kind: counter, scale: 1},
	{name: "node_disk_written_bytes_total", metric: results.DiskWriteBps, kind: counter, scale: 1},
	{name: "node_disk_io_time_seconds_total", metric: results.DiskBusy, kind: counter, agg: most, scale: 1},
	{name: "node_network_receive_bytes_total", labels: map[string]string{"device": "!lo"}, metric: results.NetRxBps, kind: counter, scale: 1},
	{name: "node_network_transmit_bytes_total", labels: map[string]string{"device": "!lo"}, metric: results.NetTxBps, kind: counter, scale: 1},
	{name: "node_network_speed_bytes", labels: map[string]string{"device": "!lo"}, metric: results.NetSpeedBps, kind: gauge, scale: 1},
}
