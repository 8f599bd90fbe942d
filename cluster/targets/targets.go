// Package targets opens any kind of target from a cluster.Spec: it is the
// one package that knows them all, as drivers/all knows the drivers.
package targets

import (
	"context"
	"fmt"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/results"
)

// Open opens the target spec describes. For local, a cluster already
// running in Dir with every node up is used as it is; otherwise a fresh
// one is started in a new directory beside Dir (see local.OpenOrStart).
// A Spec that cannot be opened as given is a *cluster.SpecError.
func Open(ctx context.Context, spec cluster.Spec) (cluster.Target, error) {
	kind := spec.TargetKind()
	if len(spec.Bootstrap) > 0 && kind != results.KindExternal {
		return nil, badSpec("Bootstrap", "is for an external cluster; drop it, or ask for an external cluster")
	}
	switch spec.Network {
	case "", results.NetworkDirect, results.NetworkProxied:
	default:
		return nil, badSpec("Network", "%q: use %s or %s", spec.Network, results.NetworkDirect, results.NetworkProxied)
	}
	if spec.Network == results.NetworkProxied && kind != results.KindLocal {
		return nil, badSpec("Network", "%s is for a local cluster kbench starts, not an %s one", spec.Network, kind)
	}
	if err := spec.Security.Validate(); err != nil {
		return nil, &cluster.SpecError{Field: "Security", Err: err}
	}
	switch {
	case spec.Security != cluster.SecurityNone && kind == results.KindEmbedded:
		return nil, badSpec("Security", "%s: the embedded target cannot be secured (it speaks plaintext only); use a local cluster for TLS or SASL", spec.Security)
	case spec.Security != cluster.SecurityNone && kind != results.KindLocal:
		return nil, badSpec("Security", "is for a local cluster kbench starts; an external cluster's security comes with its client properties")
	}
	if spec.Security != cluster.SecurityNone && spec.Network == results.NetworkProxied {
		// The proxied replication listeners copy the inter-broker
		// protocol but not a secured listener's own settings.
		return nil, badSpec("Network", "%s is not available on a secured local cluster yet; use a plaintext one for network faults", spec.Network)
	}
	switch kind {
	case results.KindEmbedded:
		return cluster.StartEmbedded(max(spec.Nodes, 1))
	case results.KindExternal:
		return cluster.NewExternal(spec.Bootstrap, nil)
	case results.KindLocal:
		l, err := local.OpenOrStart(ctx, local.Config{Dir: spec.Dir, Nodes: spec.Nodes, HeapMB: spec.HeapMB,
			BrokerProps: spec.BrokerProps, Log: spec.Log, Admin: spec.Admin, Network: spec.Network, Security: spec.Security})
		if err != nil {
			return nil, err // not a nil *local.Cluster in a Target
		}
		return l, nil
	}
	return nil, badSpec("Kind", "%q: use %s, %s or %s", kind, results.KindEmbedded, results.KindLocal, results.KindExternal)
}

func badSpec(field, format string, args ...any) error {
	return &cluster.SpecError{Field: field, Err: fmt.Errorf(format, args...)}
}
