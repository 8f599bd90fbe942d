package results

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/kbench/kbench/internal/atomicfile"
)

// Write stores run as indented JSON at path (see atomicfile.Write).
func Write(path string, run *Run) error {
	if run.Schema == "" {
		run.Schema = Schema
	}
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// Read loads a result file, refusing one of another schema.
func Read(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, path)
}

// Decode parses a result document, refusing one of another schema and
// filling the Shape of one older than v1.2; name is used in errors.
func Decode(data []byte, name string) (*Run, error) {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a kbench result: %w", name, err)
	}
	// A minor version adds fields only, so every v1.x is read.
	if head.Schema != schemaV1 && !strings.HasPrefix(head.Schema, schemaV1+".") {
		if strings.HasPrefix(head.Schema, "kbench.result/") {
			return nil, fmt.Errorf("%s: result schema %q, this kbench reads %q: use a matching kbench version", name, head.Schema, Schema)
		}
		return nil, fmt.Errorf("%s: not a kbench result (schema %q, want %q)", name, head.Schema, Schema)
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := fillShape(&run); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &run, nil
}
