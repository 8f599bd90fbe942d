package telemetry

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kbench/kbench/results"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU
// times: 100 on every Linux architecture userland sees.
const clockTicks = 100

// ReadProcess adds process pid's CPU time (a counter, CPUCores), resident
// memory (RSSMiB) and storage I/O (counters, DiskReadBps and
// DiskWriteBps) from /proc to r. Outside Linux it reads nothing and says
// so.
func (r Reading) ReadProcess(pid int) error {
	cpu, err := procCPU(pid)
	if err != nil {
		return err
	}
	r.SetCounter(results.CPUCores, cpu)
	var errs []error
	if rss, err := procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:"); err == nil {
		r.Gauges[results.RSSMiB] = rss / 1024 // kB
	} else {
		errs = append(errs, err)
	}
	io := fmt.Sprintf("/proc/%d/io", pid)
	if rb, err := procField(io, "read_bytes:"); err == nil {
		r.SetCounter(results.DiskReadBps, rb)
	} else {
		errs = append(errs, err)
	}
	if wb, err := procField(io, "write_bytes:"); err == nil {
		r.SetCounter(results.DiskWriteBps, wb)
	} else {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// HostCPU returns the machine's busy CPU time so far (every mode but idle
// and iowait, over all CPUs) from /proc/stat, in seconds.
func HostCPU() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("reading the machine's CPU time: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat has no cpu line")
	}
	busy := 0.0
	// user nice system idle iowait irq softirq steal (guest is in user).
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		busy += n
	}
	return busy / clockTicks, nil
}

// ProcessCPU returns process pid's CPU time so far, user and system, in
// seconds.
func ProcessCPU(pid int) (float64, error) { return procCPU(pid) }

func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading process %d's CPU time: %w", pid, err)
	}
	// The command name, field 2, may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat has no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// utime and stime are fields 14 and 15; f[0] is field 3.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat is short", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return (ut + st) / clockTicks, nil
}

// procField returns the number after key in a /proc file of "key value"
// lines.
func procField(path, key string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fs := strings.Fields(rest)
			if len(fs) == 0 {
				break
			}
			return strconv.ParseFloat(fs[0], 64)
		}
	}
	return 0, fmt.Errorf("%s has no %s", path, strings.TrimSuffix(key, ":"))
}

// DirSize returns the bytes the regular files under dir take on disk
// (allocated blocks, as du counts them, where the system tells). Files
// that vanish while it walks (a segment deleted) are skipped.
func DirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += diskBytes(fi)
			}
		}
		return nil
	})
	return n, err
}
