package profiles

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
// than in a loop; otherwise it starts no JVM.
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
	h.Disks = disks(filepath.Join(root, "sys/block"))
	return h
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
