package results

// ClusterKind names the kind of target a run was pointed at.
type ClusterKind string

// The target kinds.
const (
	KindEmbedded ClusterKind = "embedded"
	KindLocal    ClusterKind = "local"
	KindExternal ClusterKind = "external"
)

// Network says how a local cluster's nodes and clients are linked.
type Network string

// The networks.
const (
	// NetworkDirect: clients and nodes connect to each other's ports.
	NetworkDirect Network = "direct"
	// NetworkProxied: every client, replication and controller link
	// passes through kbench's own proxies, which network faults act on.
	NetworkProxied Network = "proxied"
)

// FaultPhase says whether a fault event injected or recovered a fault.
type FaultPhase string

// The fault phases.
const (
	PhaseInject  FaultPhase = "inject"
	PhaseRecover FaultPhase = "recover"
)

// EmbeddedCaveat is the one sentence every output uses about kfake's numbers.
const EmbeddedCaveat = "embedded target: kfake in process, with no replication and one request loop; its figures say nothing about Apache Kafka's throughput, latency or durability"
