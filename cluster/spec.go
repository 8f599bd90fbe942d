package cluster

import (
	"errors"
	"fmt"
	"io"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// Spec says which target to open (targets.Open) and how to shape one
// kbench starts.
type Spec struct {
	// Kind is the target's kind; "" means local, or external when
	// Bootstrap is set.
	Kind results.ClusterKind
	// Bootstrap is an external cluster's addresses, host:port each.
	Bootstrap []string
	// Dir is the state directory of a local cluster ("" is
	// DefaultLocalDir): a cluster running there is used as it is.
	Dir string
	// Nodes is the number of brokers of a cluster started for the run
	// (0 is the kind's default).
	Nodes int
	// HeapMB is a local broker's Java heap (0 is the default).
	HeapMB int
	// Network proxied asks for a local cluster whose links pass through
	// kbench's proxies, as network faults need: a fresh one is started
	// for the run even when one is running in Dir. "" is direct.
	Network results.Network
	// BrokerProps are broker properties for a local cluster started for
	// the run.
	BrokerProps map[string]string
	// Security secures a local cluster's client listener; a running
	// cluster in Dir is used only if it is secured alike.
	Security Security
	// Admin makes the admin clients a local cluster checks its brokers
	// with.
	Admin drivers.AdminFactory
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// ErrBadSpec is wrapped by the errors of targets.Open and NewExternal
// about a Spec that cannot be opened as given.
var ErrBadSpec = errors.New("bad cluster spec")

// SpecError is a bad Spec field. It wraps ErrBadSpec.
type SpecError struct {
	Field string // the Spec field, e.g. "Bootstrap"
	Err   error  // what is wrong with its value
}

func (e *SpecError) Error() string   { return "cluster spec: " + e.Field + " " + e.Err.Error() }
func (e *SpecError) Unwrap() []error { return []error{ErrBadSpec, e.Err} }

func badSpec(field, format string, args ...any) error {
	return &SpecError{Field: field, Err: fmt.Errorf(format, args...)}
}

// TargetKind is the kind of target spec opens: Kind, or when it is empty,
// external if Bootstrap is set and local otherwise.
func (s Spec) TargetKind() results.ClusterKind {
	switch {
	case s.Kind != "":
		return s.Kind
	case len(s.Bootstrap) > 0:
		return results.KindExternal
	}
	return results.KindLocal
}

// Security is how a local cluster's client listener is secured.
type Security string

// Securities of a local cluster. Replication runs on the client listener
// too, as the brokers' own SCRAM user (SASL_SSL) or with the brokers'
// certificate (mTLS); the controllers stay on plaintext.
const (
	SecurityNone Security = ""
	// SecuritySASLSSL: TLS with kbench's own CA, and SCRAM-SHA-512 users
	// created when the nodes are formatted.
	SecuritySASLSSL Security = "sasl_ssl"
	// SecurityMTLS: TLS where clients must show a certificate of
	// kbench's CA (ssl.client.auth=required).
	SecurityMTLS Security = "mtls"
)

// Securities lists every Security but none.
func Securities() []Security { return []Security{SecuritySASLSSL, SecurityMTLS} }

// Validate returns an error naming s unless it is a known Security.
func (s Security) Validate() error {
	switch s {
	case SecurityNone, SecuritySASLSSL, SecurityMTLS:
		return nil
	}
	return fmt.Errorf("%q: want %s or %s (or none)", s, SecuritySASLSSL, SecurityMTLS)
}
