package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Loaded are the runs a list of paths names.
type Loaded struct {
	Runs []*Run
	// Files[i] is the file Runs[i] was read from.
	Files []string
	// Index is the first sweep index named, nil if none.
	Index *SweepIndex
}

// Load reads the runs of paths: result files as they are, and sweep
// indexes (or directories holding one) expanded to their points' results.
// A result named twice (say, by a shell glob that matched both a sweep
// index and its results) is read once. Errors name the file at fault.
func Load(paths ...string) (*Loaded, error) {
	l := &Loaded{}
	seen := map[string]bool{}
	add := func(path string) error {
		if abs, err := filepath.Abs(path); err == nil {
			if seen[abs] {
				return nil
			}
			seen[abs] = true
		}
		r, err := Read(path)
		if err != nil {
			return fmt.Errorf("result %s: %w", path, err)
		}
		l.Runs = append(l.Runs, r)
		l.Files = append(l.Files, path)
		return nil
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			p = filepath.Join(p, SweepIndexFile)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if json.Unmarshal(data, &head) != nil || head.Schema != sweepSchema {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		idx, err := decodeSweepIndex(data, p)
		if err != nil {
			return nil, err
		}
		files := idx.resultPaths(filepath.Dir(p))
		if len(files) == 0 {
			return nil, fmt.Errorf("sweep index %s lists no results yet", p)
		}
		for _, f := range files {
			if err := add(f); err != nil {
				return nil, err
			}
		}
		if l.Index == nil {
			l.Index = idx
		}
	}
	return l, nil
}
