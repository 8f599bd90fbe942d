package main

import (
	"fmt"
	"maps"
	"os"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/javaprops"
	"github.com/kbench/kbench/workload"
)

// clientProps are the client properties every client of a run gets: the
// --client-config file's, else the target's own (a secured local
// cluster's), without bootstrap.servers.
func clientProps(file map[string]string, tgt cluster.Target) map[string]string {
	props := maps.Clone(file)
	if props == nil {
		if cc, ok := tgt.(cluster.ClientConfigurer); ok {
			props = cc.ClientProps()
		}
	}
	delete(props, "bootstrap.servers")
	return props
}

// readClientConfig reads --client-config; "" is none.
func readClientConfig(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	props, err := drivers.ReadClientConfig(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("--client-config: %w", err)}
	}
	return props, nil
}

// applyClientProps lays props under w's producer and consumer properties,
// so the workload's own still win per role, and expands ${NAME} from the
// environment in them, so a workload file or --set can name a secret
// without holding it.
func applyClientProps(w *workload.Workload, props map[string]string) error {
	for _, role := range []*map[string]string{&w.Producer, &w.Consumer} {
		if *role == nil && len(props) > 0 {
			*role = map[string]string{}
		}
		for k, v := range props {
			if _, set := (*role)[k]; !set {
				(*role)[k] = v
			}
		}
		if err := javaprops.ExpandEnv(*role, os.LookupEnv); err != nil {
			return usageError{fmt.Errorf("client properties: %w", err)}
		}
	}
	return nil
}
