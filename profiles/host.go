package profiles

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/results"
)

// javaTimeout bounds `java -version`: a broken JVM install must not hold up
// a run.
const javaTimeout = 5 * time.Second

// DetectHost describes the machine kbench runs on. It never fails: whatever
// cannot be read (on a system without /proc, in a container hiding /sys, with
// no java on PATH) is left empty. With java set (the brokers are Java
// processes on this machine, as with the local target) it runs `java
// -version` once, bounded by a few seconds, so call it once per run rather
// than in a loop; otherwise it starts no JVM. Its memory is the
// machine's, or the container's cgroup limit when that is lower.
func DetectHost(java bool) results.Host {
	h := detectHost("/")
	if java {
		h.Java = javaVersion()
	}
	return h
}

// detectHost reads what it can below root, which tests point at a fake
// /proc and /sys.
func detectHost(root string) results.Host {
	h := results.Host{
		OS:   runtime.GOOS,
		Arch: runtime.GOARCH,
		CPUs: runtime.NumCPU(),
		Go:   runtime.Version(),
	}
	h.Hostname, _ = os.Hostname()
	h.Kernel = readTrim(filepath.Join(root, "proc/sys/kernel/osrelease"))
	h.CPUModel = procField(filepath.Join(root, "proc/cpuinfo"), "model name")
	if mem := procField(filepath.Join(root, "proc/meminfo"), "MemTotal"); mem != "" {
		// "16318128 kB"
		if kb, err := strconv.ParseInt(strings.Fields(mem)[0], 10, 64); err == nil {
			h.MemoryMiB = kb / 1024
		}
	}
	if limit := cgroupMemory(root); limit > 0 && (h.MemoryMiB == 0 || limit>>20 < h.MemoryMiB) {
		h.MemoryMiB = limit >> 20
	}
	h.Disks = disks(filepath.Join(root, "sys/block"))
	return h
}

// cgroupMemory returns the smallest memory limit, in bytes, of this
// process's cgroup and its ancestors below root (0 for none): cgroup v2's
// memory.max, v1's memory.limit_in_bytes. A container's limit is what it
// can use, and /proc/meminfo shows the whole machine's. Walking up to the
// mount also finds the limit in a container that sees its own cgroup at
// the mount but the host's path in /proc/self/cgroup.
func cgroupMemory(root string) int64 {
	data, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	var limit int64
	take := func(mount, path, file string) {
		for dir := filepath.Join(mount, path); ; dir = filepath.Dir(dir) {
			// v1's "no limit" is a huge number, which the machine's memory
			// then undercuts.
			if n, err := strconv.ParseInt(readTrim(filepath.Join(dir, file)), 10, 64); err == nil && n > 0 && (limit == 0 || n < limit) {
				limit = n
			}
			if len(dir) <= len(mount) {
				return
			}
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		// "hierarchy-ID:controllers:path"; v2's line is "0::path".
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			take(filepath.Join(root, "sys/fs/cgroup"), parts[2], "memory.max")
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			take(filepath.Join(root, "sys/fs/cgroup/memory"), parts[2], "memory.limit_in_bytes")
		}
	}
	return limit
}

// procField returns the value of the first "key : value" line of a /proc
// file, or "".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// virtualDisks are block devices that are not disks: loop devices, RAM
// disks, compressed swap and device-mapper or md layers over real disks
// (listing those would count the same disk twice).
var virtualDisks = []string{"loop", "ram", "zram", "dm-", "md", "sr", "nbd"}

// disks lists the real block devices under a /sys/block directory. Sizes in
// /sys are in 512-byte sectors whatever the device's block size.
func disks(sysBlock string) []results.Disk {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil
	}
	var out []results.Disk
	for _, e := range entries {
		name := e.Name()
		if isVirtual(name) {
			continue
		}
		d := results.Disk{Name: name}
		d.Rotational = readTrim(filepath.Join(sysBlock, name, "queue/rotational")) == "1"
		if sectors, err := strconv.ParseInt(readTrim(filepath.Join(sysBlock, name, "size")), 10, 64); err == nil {
			d.SizeGiB = sectors * 512 >> 30
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func isVirtual(name string) bool {
	for _, p := range virtualDisks {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// javaVersion returns the first line of `java -version` (which Java prints
// on stderr), or "" if there is no java or it does not answer in time.
func javaVersion() string {
	if _, err := exec.LookPath("java"); err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), javaTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput()
	if err != nil {
		return ""
	}
	line, _, _ := bytes.Cut(bytes.TrimSpace(out), []byte("\n"))
	return strings.TrimSpace(string(line))
}
