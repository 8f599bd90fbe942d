package profiles

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/results"
)

// hardwareFile is the YAML shape of a hardware profile. It is separate from
// results.Hardware so the file can use camelCase names and be parsed
// strictly without touching the result format.
type hardwareFile struct {
	Name    string `yaml:"name"`
	Brokers int    `yaml:"brokers"`
	Network string `yaml:"network"`
	Notes   string `yaml:"notes"`
	Host    struct {
		Hostname  string `yaml:"hostname"`
		OS        string `yaml:"os"`
		Arch      string `yaml:"arch"`
		Kernel    string `yaml:"kernel"`
		CPUModel  string `yaml:"cpuModel"`
		CPUs      int    `yaml:"cpus"`
		MemoryMiB int64  `yaml:"memoryMiB"`
		Disks     []struct {
			Name       string `yaml:"name"`
			SizeGiB    int64  `yaml:"sizeGiB"`
			Rotational bool   `yaml:"rotational"`
		} `yaml:"disks"`
		Java string `yaml:"java"`
	} `yaml:"host"`
}

// HardwareNames lists the shipped hardware profiles.
func HardwareNames() []string { return names("hardware") }

// LoadHardware reads a hardware profile describing broker machines kbench
// did not start: a file if nameOrPath looks like a path (see the package
// doc), else the shipped profile of that name. Unknown fields are errors, so
// a misspelt field is not silently dropped. A profile without a name takes
// its file's.
func LoadHardware(nameOrPath string) (*results.Hardware, error) {
	data, file, name, err := readProfile("hardware", nameOrPath, HardwareNames())
	if err != nil {
		return nil, err
	}
	var f hardwareFile
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) > 0 {
		var errs []error
		checkShape(doc.Content[0], reflect.TypeOf(f), "", &errs)
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if err := doc.Decode(&f); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	hw := &results.Hardware{
		Name:    f.Name,
		Brokers: f.Brokers,
		Network: f.Network,
		Notes:   f.Notes,
		Host: results.Host{
			Hostname:  f.Host.Hostname,
			OS:        f.Host.OS,
			Arch:      f.Host.Arch,
			Kernel:    f.Host.Kernel,
			CPUModel:  f.Host.CPUModel,
			CPUs:      f.Host.CPUs,
			MemoryMiB: f.Host.MemoryMiB,
			Java:      f.Host.Java,
		},
	}
	if hw.Name == "" {
		hw.Name = name
	}
	for _, d := range f.Host.Disks {
		hw.Host.Disks = append(hw.Host.Disks, results.Disk{Name: d.Name, SizeGiB: d.SizeGiB, Rotational: d.Rotational})
	}
	return hw, nil
}

// checkShape checks node against the YAML shape of t, adding a problem
// for each unknown field and each value of the wrong kind, named by its
// path (yaml.v3's own errors name Go types).
func checkShape(node *yaml.Node, t reflect.Type, path string, errs *[]error) {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
		return
	}
	want := ""
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			want = "a mapping of fields"
			break
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			name := t.Field(i).Tag.Get("yaml")
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			ft, ok := fields[key]
			if !ok {
				owner := "a hardware profile"
				if path != "" {
					owner = path
				}
				*errs = append(*errs, fmt.Errorf("%s: unknown field (%s has %s)", joinPath(path, key), owner, strings.Join(names, ", ")))
				continue
			}
			checkShape(node.Content[i+1], ft, joinPath(path, key), errs)
		}
		return
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			want = "a list"
			break
		}
		for i, item := range node.Content {
			checkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
		return
	case reflect.Int, reflect.Int64:
		if node.Kind != yaml.ScalarNode || node.Tag != "!!int" {
			want = "a whole number"
		}
	case reflect.Bool:
		if node.Kind != yaml.ScalarNode || node.Tag != "!!bool" {
			want = "true or false"
		}
	default:
		if node.Kind != yaml.ScalarNode {
			want = "text"
		}
	}
	if want != "" {
		got := strconv.Quote(node.Value)
		switch node.Kind {
		case yaml.MappingNode:
			got = "a mapping"
		case yaml.SequenceNode:
			got = "a list"
		}
		if path == "" {
			path = "a hardware profile"
		}
		*errs = append(*errs, fmt.Errorf("%s: want %s, got %s (line %d)", path, want, got, node.Line))
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
