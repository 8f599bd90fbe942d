package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopyLogs copies every node's logs (server.log and its rolled files, and
// stdout.log with the JVM's own output) to dst/node-<id>/.
func (l *Cluster) CopyLogs(dst string) error {
	err := l.copyLogs(dst)
	l.mu.Lock()
	l.copied = err == nil
	l.mu.Unlock()
	return err
}

func (l *Cluster) copyLogs(dst string) error {
	var errs []error
	for _, id := range l.BrokerIDs() {
		files, _ := filepath.Glob(filepath.Join(l.logsDir(id), "*"))
		to := filepath.Join(dst, fmt.Sprintf("node-%d", id))
		if err := os.MkdirAll(to, 0o755); err != nil {
			return fmt.Errorf("copying broker logs: %w", err)
		}
		for _, f := range files {
			if err := copyFile(f, filepath.Join(to, filepath.Base(f))); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copying broker log: %w", err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("copying broker log: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying broker log %s: %w", from, err)
	}
	return out.Close()
}
