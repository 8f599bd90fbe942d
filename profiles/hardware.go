package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"io"

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
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w (fields: name, brokers, network, notes, host: hostname, os, arch, kernel, cpuModel, cpus, memoryMiB, disks, java)", file, err)
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
