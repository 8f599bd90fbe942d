package targets

import (
	"context"
	"errors"
	"testing"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
)

func TestOpenBadSpec(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  cluster.Spec
		field string // the field the error names
	}{
		// Bootstrap addresses belong to an external cluster.
		{"bootstrap for local", cluster.Spec{Kind: results.KindLocal, Bootstrap: []string{"h:9092"}}, "Bootstrap"},
		{"unknown kind", cluster.Spec{Kind: "cloud"}, "Kind"},
		// Bootstrap alone means external, whose addresses are checked.
		{"bad address", cluster.Spec{Bootstrap: []string{"nohost"}}, "Bootstrap"},
		{"bad port", cluster.Spec{Bootstrap: []string{"h:0"}}, "Bootstrap"},
		{"external without addresses", cluster.Spec{Kind: results.KindExternal}, "Bootstrap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgt, err := Open(context.Background(), tc.spec)
			if err == nil {
				tgt.Close()
			}
			var se *cluster.SpecError
			if !errors.Is(err, cluster.ErrBadSpec) || !errors.As(err, &se) || se.Field != tc.field {
				t.Errorf("Open(%+v) = %v; want a cluster.SpecError on %s wrapping cluster.ErrBadSpec", tc.spec, err, tc.field)
			}
		})
	}
}

func TestOpenKinds(t *testing.T) {
	for _, tc := range []struct {
		spec cluster.Spec
		want results.ClusterKind
	}{
		{cluster.Spec{Kind: results.KindEmbedded, Nodes: 2}, results.KindEmbedded},
		{cluster.Spec{Bootstrap: []string{"127.0.0.1:9092"}}, results.KindExternal}, // no connection is made
	} {
		tgt, err := Open(context.Background(), tc.spec)
		if err != nil {
			t.Fatalf("Open(%+v): %v", tc.spec, err)
		}
		if tgt.Kind() != tc.want || tgt.Describe().Kind != tc.want {
			t.Errorf("Open(%+v): kind %s, described as %s; want %s", tc.spec, tgt.Kind(), tgt.Describe().Kind, tc.want)
		}
		for range 2 {
			if err := tgt.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}
}

func TestOpenSecuritySpec(t *testing.T) {
	for _, spec := range []cluster.Spec{
		{Kind: results.KindLocal, Security: "tls"},                              // no such security
		{Bootstrap: []string{"127.0.0.1:1"}, Security: cluster.SecuritySASLSSL}, // an external cluster's comes with its properties
		{Kind: results.KindEmbedded, Security: cluster.SecurityMTLS},            // kfake has no TLS listener
	} {
		_, err := Open(context.Background(), spec)
		var se *cluster.SpecError
		if !errors.As(err, &se) || se.Field != "Security" {
			t.Errorf("Open(%+v) = %v, want a SpecError on Security", spec, err)
		}
	}
}
