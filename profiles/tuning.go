package profiles

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Tuning is a set of Kafka settings a run applies: broker properties (for
// clusters kbench starts), topic configs, and producer and consumer client
// properties, all keyed by Kafka's own property names with values kept as
// the strings Kafka would read.
type Tuning struct {
	// Name is the profile's name; composed profiles join theirs with "+".
	Name     string
	Broker   map[string]string
	Topic    map[string]string
	Producer map[string]string
	Consumer map[string]string
	// ReplicationFactor and Partitions, when not 0, set the run's topics.
	ReplicationFactor int
	Partitions        int
	// UseTransactions and TransactionSize come from an OpenMessaging
	// Benchmark driver file's useTransactions and batchSize (the
	// messages per transaction); they set the workload's fields of those
	// names.
	UseTransactions bool
	TransactionSize int
	// Notes are things loading changed that a reader should know, e.g. a
	// bootstrap.servers dropped from an OpenMessaging Benchmark file.
	Notes []string
}

// TuningNames lists the shipped tuning profiles.
func TuningNames() []string { return names("tuning") }

// LoadTuning reads a tuning profile: a file if nameOrPath looks like a path
// (see the package doc), else the shipped profile of that name. Both kbench's
// own format and OpenMessaging Benchmark Kafka driver files are accepted;
// the shape is detected from the top-level fields. Every problem in the file
// is reported at once, each with the file and field path.
func LoadTuning(nameOrPath string) (*Tuning, error) {
	data, file, name, err := readProfile("tuning", nameOrPath, TuningNames())
	if err != nil {
		return nil, err
	}
	return parseTuning(file, name, data)
}

// readProfile returns the bytes of a profile file or a shipped profile, the
// file name to use in errors, and the profile's name (the file's base name
// without extension).
func readProfile(kind, nameOrPath string, shippedNames []string) (data []byte, file, name string, err error) {
	if isPath(nameOrPath) {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, "", "", fmt.Errorf("%s profile: %w", kind, err)
		}
		base := filepath.Base(nameOrPath)
		return data, nameOrPath, strings.TrimSuffix(base, filepath.Ext(base)), nil
	}
	data, err = shipped.ReadFile(kind + "/" + nameOrPath + ".yaml")
	if err != nil {
		return nil, "", "", fmt.Errorf("%s profile %q is not shipped with kbench (shipped: %s); give a path to a .yaml file to use your own",
			kind, nameOrPath, strings.Join(shippedNames, ", "))
	}
	return data, nameOrPath + ".yaml", nameOrPath, nil
}

func parseTuning(file, name string, data []byte) (*Tuning, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t := &Tuning{Name: name, Broker: map[string]string{}, Topic: map[string]string{}, Producer: map[string]string{}, Consumer: map[string]string{}}
	if len(doc.Content) == 0 {
		return t, nil // an empty file changes nothing
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a tuning profile is a mapping of sections (broker, topic, producer, consumer)", file)
	}
	var errs []error
	if isOMB(top) {
		errs = parseOMB(file, top, t)
	} else {
		errs = parseKbench(file, top, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// isOMB reports whether a document has the shape of an OpenMessaging
// Benchmark driver file: it names a driverClass or carries its k=v blocks.
func isOMB(top *yaml.Node) bool {
	for i := 0; i < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "driverClass", "topicConfig", "commonConfig", "producerConfig", "consumerConfig":
			return true
		}
	}
	return false
}

func parseKbench(file string, top *yaml.Node, t *Tuning) []error {
	var errs []error
	for i := 0; i < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		switch key {
		case "broker":
			errs = append(errs, properties(file, key, val, t.Broker)...)
		case "topic":
			errs = append(errs, properties(file, key, val, t.Topic)...)
		case "producer":
			errs = append(errs, properties(file, key, val, t.Producer)...)
		case "consumer":
			errs = append(errs, properties(file, key, val, t.Consumer)...)
		case "replicationFactor":
			errs = appendErr(errs, positiveInt(file, key, val, &t.ReplicationFactor))
		case "partitions":
			errs = appendErr(errs, positiveInt(file, key, val, &t.Partitions))
		default:
			errs = append(errs, fmt.Errorf("%s: %s: unknown section; use broker, topic, producer or consumer (or replicationFactor, partitions)", file, oneLine(key)))
		}
	}
	return errs
}

// properties copies a mapping of Kafka properties into dst, refusing values
// that are not scalars: Kafka reads every property as a string.
func properties(file, section string, n *yaml.Node, dst map[string]string) []error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "consumer:" with nothing under it
	}
	if n.Kind != yaml.MappingNode {
		return []error{fmt.Errorf("%s: %s: must be a mapping of Kafka property names to values", file, section)}
	}
	var errs []error
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch {
		case v.Kind != yaml.ScalarNode:
			errs = append(errs, fmt.Errorf("%s: %s.%s: value must be a single value, not a list or mapping", file, section, oneLine(k)))
		case v.Tag == "!!null":
			errs = append(errs, fmt.Errorf("%s: %s.%s: value is empty; give a value or remove the property", file, section, oneLine(k)))
		default:
			dst[k] = v.Value
		}
	}
	return errs
}

func positiveInt(file, field string, n *yaml.Node, dst *int) error {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 1 {
		return fmt.Errorf("%s: %s: %q is not a positive whole number", file, field, n.Value)
	}
	*dst = v
	return nil
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// Compose merges profiles in order: a later profile's property replaces an
// earlier one's, key by key, and its non-zero ReplicationFactor and
// Partitions replace earlier ones. Nil profiles are skipped. The result's
// Name joins the names with "+" ("durable+mine"); its maps are fresh, so
// changing it leaves the inputs alone.
func Compose(ts ...*Tuning) *Tuning {
	out := &Tuning{Broker: map[string]string{}, Topic: map[string]string{}, Producer: map[string]string{}, Consumer: map[string]string{}}
	var names []string
	for _, t := range ts {
		if t == nil {
			continue
		}
		names = append(names, t.Name)
		maps.Copy(out.Broker, t.Broker)
		maps.Copy(out.Topic, t.Topic)
		maps.Copy(out.Producer, t.Producer)
		maps.Copy(out.Consumer, t.Consumer)
		if t.ReplicationFactor != 0 {
			out.ReplicationFactor = t.ReplicationFactor
		}
		if t.Partitions != 0 {
			out.Partitions = t.Partitions
		}
		out.Notes = append(out.Notes, t.Notes...)
	}
	out.Name = strings.Join(names, "+")
	return out
}

// oneOf formats a list of valid choices for an error message.
func oneOf(choices []string) string {
	if len(choices) < 2 {
		return strings.Join(choices, "")
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// oneLine quotes a name or value from a file that would break its problem
// over several lines (each problem is one line that starts with the file).
func oneLine(s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return strconv.Quote(s)
	}
	return s
}
