// Package profiles describes the machines a run used and the settings it ran
// with. Hardware profiles are either detected (DetectHost) or described in
// YAML for brokers kbench did not start (LoadHardware). Tuning profiles are
// YAML files of broker, topic, producer and consumer properties, keyed by
// Kafka's own property names (LoadTuning, Compose); OpenMessaging Benchmark
// Kafka driver files load as tuning profiles unchanged.
//
// Shipped profiles are embedded in the binary, so a name such as "durable"
// works from any directory; anything with a path separator or a .yaml or
// .yml extension is read from disk instead.
package profiles

import (
	"embed"
	"path"
	"sort"
	"strings"
)

//go:embed hardware/*.yaml tuning/*.yaml
var shipped embed.FS

// isPath reports whether nameOrPath names a file rather than a shipped
// profile.
func isPath(nameOrPath string) bool {
	if strings.ContainsAny(nameOrPath, `/\`) {
		return true
	}
	switch path.Ext(nameOrPath) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// names lists the shipped profiles in dir, sorted, without extensions.
func names(dir string) []string {
	entries, err := shipped.ReadDir(dir)
	if err != nil {
		// The directory is embedded at build time; it cannot be missing.
		panic(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	sort.Strings(out)
	return out
}
