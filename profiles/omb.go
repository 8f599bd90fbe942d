package profiles

import (
	"bufio"
	"fmt"
	"maps"
	"strings"

	"gopkg.in/yaml.v3"
)

// ombFields are the fields of an OpenMessaging Benchmark Kafka driver file
// (driver-kafka/*.yaml in the openmessaging/benchmark repository).
var ombFields = []string{"name", "driverClass", "replicationFactor", "reset", "topicConfig", "commonConfig", "producerConfig", "consumerConfig"}

// parseOMB reads an OpenMessaging Benchmark driver file into t. Its config
// fields are blocks of Java properties lines. commonConfig goes to both
// clients, under producerConfig and consumerConfig whatever the order in the
// file, as OMB's driver applies it. bootstrap.servers is dropped (the run's
// target decides where to connect) and noted, so a reader sees the address
// the file pointed at.
func parseOMB(file string, top *yaml.Node, t *Tuning) []error {
	var errs []error
	blocks := map[string]map[string]string{}
	for i := 0; i < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		switch key {
		case "name", "driverClass", "reset":
			// OMB's own bookkeeping; nothing for Kafka.
		case "replicationFactor":
			errs = appendErr(errs, positiveInt(file, key, val, &t.ReplicationFactor))
		case "topicConfig", "commonConfig", "producerConfig", "consumerConfig":
			if val.Kind != yaml.ScalarNode {
				errs = append(errs, fmt.Errorf("%s: %s: must be a block of key=value lines", file, key))
				continue
			}
			props, perrs := javaProperties(file, key, val.Value)
			errs = append(errs, perrs...)
			if v, ok := props["bootstrap.servers"]; ok {
				delete(props, "bootstrap.servers")
				t.Notes = append(t.Notes, fmt.Sprintf("%s: %s: bootstrap.servers=%s dropped; the run's target sets the address", file, key, v))
			}
			blocks[key] = props
		default:
			errs = append(errs, fmt.Errorf("%s: %s: unknown field of an OpenMessaging Benchmark driver file; use %s", file, key, oneOf(ombFields)))
		}
	}
	maps.Copy(t.Topic, blocks["topicConfig"])
	maps.Copy(t.Producer, blocks["commonConfig"])
	maps.Copy(t.Producer, blocks["producerConfig"])
	maps.Copy(t.Consumer, blocks["commonConfig"])
	maps.Copy(t.Consumer, blocks["consumerConfig"])
	return errs
}

// javaProperties parses "key=value" lines (also "key: value"), skipping
// blank lines and # or ! comments, and joining a line that ends in an odd
// number of backslashes with the next one (how sasl.jaas.config is often
// written), as java.util.Properties does.
func javaProperties(file, field, text string) (map[string]string, []error) {
	props := map[string]string{}
	var errs []error
	sc := bufio.NewScanner(strings.NewReader(text))
	var pending strings.Builder
	start := 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending.Len() == 0 {
			if line == "" || line[0] == '#' || line[0] == '!' {
				continue
			}
			start = n
		}
		if continued(line) {
			pending.WriteString(line[:len(line)-1])
			continue
		}
		pending.WriteString(line)
		entry := pending.String()
		pending.Reset()
		i := strings.IndexAny(entry, "=:")
		if i <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s line %d: %q is not key=value", file, field, start, entry))
			continue
		}
		props[strings.TrimSpace(entry[:i])] = strings.TrimSpace(entry[i+1:])
	}
	if pending.Len() > 0 {
		errs = append(errs, fmt.Errorf("%s: %s line %d: the last line ends in a backslash with nothing to join", file, field, start))
	}
	return props, errs
}

// continued reports whether a properties line ends in an odd number of
// backslashes, that is, escapes its line break.
func continued(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
