package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kbench/kbench/internal/atomicfile"
	"github.com/kbench/kbench/internal/poll"
)

// sig is a signal kbench sends a broker, named portably.
type sig int

const (
	sigKill sig = iota
	sigTerm
	sigStop
	sigCont
)

// nodeProc is a broker process this kbench started. done is closed once
// the process has exited and been reaped.
type nodeProc struct {
	pid  int
	done chan struct{}
	err  error
}

// errNotRunning is a fault or signal for a broker that is down.
var errNotRunning = errors.New("is not running")

// logTailLines is how much of a broker's log an error carries.
const logTailLines = 30

// node returns node id's state. Callers hold l.mu.
func (l *Cluster) node(id int32) (*localNode, error) {
	for i := range l.st.Nodes {
		if l.st.Nodes[i].ID == id {
			return &l.st.Nodes[i], nil
		}
	}
	var ids []string
	for _, n := range l.st.Nodes {
		ids = append(ids, strconv.Itoa(int(n.ID)))
	}
	return nil, fmt.Errorf("local cluster has no broker %d (ids: %s)", id, strings.Join(ids, ", "))
}

// clientPort returns broker id's client port.
func (l *Cluster) clientPort(id int32) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.node(id)
	if err != nil {
		return 0, err
	}
	return n.Port, nil
}

// pid returns node id's pid and whether that process is alive and is the
// node's broker.
func (l *Cluster) pid(id int32) (int, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pidLocked(id)
}

// pidLocked is pid for callers holding l.mu. The pid file is the truth:
// another kbench attached to the same cluster may have restarted the node.
func (l *Cluster) pidLocked(id int32) (int, bool, error) {
	n, err := l.node(id)
	if err != nil {
		return 0, false, err
	}
	pid := n.PID
	if b, err := os.ReadFile(l.pidPath(id)); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pid = p
		}
	}
	return pid, isNodeProcess(pid, l.propsPath(id)), nil
}

// startProcess launches node id's broker and records its pid; it does not
// wait for the broker to come up.
func (l *Cluster) startProcess(id int32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("broker %d not started: the cluster is being stopped", id)
	}
	pid, up, err := l.pidLocked(id)
	if err != nil {
		return err
	}
	if up {
		return fmt.Errorf("broker %d is already running (pid %d)", id, pid)
	}
	n, _ := l.node(id)
	// The JVM's own output (crashes, log4j's status) goes beside
	// server.log; the child keeps the file after kbench exits.
	out, err := os.OpenFile(filepath.Join(l.logsDir(id), "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting broker %d: %w", id, err)
	}
	defer out.Close()
	cmd := exec.Command(l.st.Java, l.jvmArgs(append(brokerHeap(l.st.HeapMB), l.agentArgs(*n)...), id, "kafka.Kafka", l.propsPath(id))...)
	cmd.Dir = l.nodeDir(id)
	cmd.Stdout, cmd.Stderr = out, out
	// Only the process that owns a run's cluster ties the brokers' lives to
	// its own; a restart by a kbench attached with Open must outlive it.
	cmd.SysProcAttr = nodeProcAttr(l.owned && !l.st.Detached)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting broker %d with %s: %w", id, l.st.Java, err)
	}
	p := &nodeProc{pid: cmd.Process.Pid, done: make(chan struct{})}
	// Reap the child when it exits, so it does not linger as a zombie;
	// this goroutine lives exactly as long as the broker.
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	l.procs[id] = p
	n.PID = p.pid
	fmt.Fprintf(l.log, "kbench: broker %d started (pid %d, %s)\n", id, p.pid, addr(n.Port))
	// Atomic, so another kbench never reads half a pid.
	if err := atomicfile.Write(l.pidPath(id), []byte(strconv.Itoa(p.pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing pid file of broker %d: %w", id, err)
	}
	return l.saveState()
}

// Start starts broker id again, with the same id, ports and data, and waits
// until it answers metadata requests, bounded by the ready timeout: it is
// then registered and unfenced. Its replicas may still be catching up: see
// WaitInSync.
func (l *Cluster) Start(ctx context.Context, id int32) error {
	if err := l.startProcess(id); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, l.readyTimeout)
	defer cancel()
	var last error
	err := poll.Until(ctx, pollEvery, func(ctx context.Context) (bool, error) {
		if err := l.checkAlive(id); err != nil {
			return false, err
		}
		_, last = l.answers(ctx, id)
		return last == nil, nil
	})
	if err != nil && err == ctx.Err() { // last is then the answer that failed
		return fmt.Errorf("broker %d started but does not answer: %w\n%s", id, last, l.logTail(id))
	}
	return err
}

// checkAlive returns an error with the log's tail if broker id's process
// has exited.
func (l *Cluster) checkAlive(id int32) error {
	pid, up, err := l.pid(id)
	if err != nil {
		return err
	}
	if up {
		return nil
	}
	l.mu.Lock()
	p := l.procs[id]
	l.mu.Unlock()
	how := "is not running"
	if p != nil && p.pid == pid {
		// A dead child is a zombie until its reaper has run.
		select {
		case <-p.done:
			how = fmt.Sprintf("exited (%v)", p.err)
		case <-time.After(time.Second):
		}
	}
	return fmt.Errorf("broker %d (pid %d) %s\n%s", id, pid, how, l.logTail(id))
}

// Kill sends broker id SIGKILL and waits until it is gone.
func (l *Cluster) Kill(ctx context.Context, id int32) error {
	pid, up, err := l.pid(id)
	if err != nil {
		return err
	}
	if !up {
		return fmt.Errorf("broker %d %w", id, errNotRunning)
	}
	if err := signalPID(pid, sigKill); err != nil {
		return fmt.Errorf("killing broker %d (pid %d): %w", id, pid, err)
	}
	return l.waitExit(ctx, id, pid, 10*time.Second)
}

// Stop sends broker id SIGTERM, so it shuts down cleanly, and waits until
// it has exited; after a grace period it is killed.
func (l *Cluster) Stop(ctx context.Context, id int32) error {
	pid, up, err := l.pid(id)
	if err != nil {
		return err
	}
	if !up {
		return fmt.Errorf("broker %d %w", id, errNotRunning)
	}
	return l.stopPID(ctx, id, pid)
}

func (l *Cluster) stopPID(ctx context.Context, id int32, pid int) error {
	// A paused JVM would hold SIGTERM until continued.
	_ = signalPID(pid, sigCont)
	if err := signalPID(pid, sigTerm); err != nil {
		return fmt.Errorf("stopping broker %d (pid %d): %w", id, pid, err)
	}
	if err := l.waitExit(ctx, id, pid, stopGrace); err == nil {
		return nil
	}
	fmt.Fprintf(l.log, "kbench: broker %d (pid %d) still running %v after SIGTERM; killing it\n", id, pid, stopGrace)
	if err := signalPID(pid, sigKill); err != nil {
		return fmt.Errorf("killing broker %d (pid %d): %w", id, pid, err)
	}
	return l.waitExit(context.WithoutCancel(ctx), id, pid, 10*time.Second)
}

// Pause stops broker id with SIGSTOP: it keeps its connections but answers
// nothing until Resume.
func (l *Cluster) Pause(id int32) error { return l.freeze(id, sigStop, "pausing", true) }

// Resume continues broker id after Pause (SIGCONT).
func (l *Cluster) Resume(id int32) error { return l.freeze(id, sigCont, "resuming", false) }

// freeze sends s to running broker id and waits until the kernel shows it
// stopped (or running again).
func (l *Cluster) freeze(id int32, s sig, doing string, stopped bool) error {
	pid, up, err := l.pid(id)
	if err != nil {
		return err
	}
	if !up {
		return fmt.Errorf("broker %d %w", id, errNotRunning)
	}
	if err := signalPID(pid, s); err != nil {
		return fmt.Errorf("%s broker %d (pid %d): %w", doing, id, pid, err)
	}
	waitStopped(pid, stopped)
	return nil
}

// waitStopped waits briefly until the kernel shows pid stopped (or not):
// signals are delivered asynchronously, and callers expect Status to show
// the change at once.
func waitStopped(pid int, stopped bool) {
	if !canSeeStopped {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = poll.Until(ctx, 20*time.Millisecond, func(context.Context) (bool, error) {
		return isStopped(pid) == stopped, nil
	})
}

// waitExit waits until pid, broker id's process, is gone, for at most max.
func (l *Cluster) waitExit(ctx context.Context, id int32, pid int, max time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	l.mu.Lock()
	p := l.procs[id]
	l.mu.Unlock()
	var done <-chan struct{}
	if p != nil && p.pid == pid {
		done = p.done
	}
	err := poll.Until(ctx, 100*time.Millisecond, func(context.Context) (bool, error) {
		select {
		case <-done:
			return true, nil
		default:
			return !isNodeProcess(pid, l.propsPath(id)), nil
		}
	})
	if err != nil {
		return fmt.Errorf("broker %d (pid %d) still running after %v: %w", id, pid, max, err)
	}
	return nil
}

// stopAll stops every running node at once and waits for them.
func (l *Cluster) stopAll(ctx context.Context) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, id := range l.BrokerIDs() {
		pid, up, err := l.pid(id)
		if err != nil || !up {
			continue
		}
		wg.Go(func() {
			if err := l.stopPID(ctx, id, pid); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Wait for the reapers, so no goroutine outlives the cluster.
	l.mu.Lock()
	procs := slices.Collect(maps.Values(l.procs))
	l.mu.Unlock()
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	}
	return errors.Join(errs...)
}

// logTail returns the last lines of broker id's server.log, and of its
// stdout.log when the JVM wrote anything there, for error messages.
func (l *Cluster) logTail(id int32) string {
	var b strings.Builder
	for _, f := range []string{l.serverLog(id), filepath.Join(l.logsDir(id), "stdout.log")} {
		lines := tailFile(f, logTailLines)
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "--- last %d lines of %s ---\n%s\n", len(lines), f, strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return fmt.Sprintf("(broker %d wrote nothing to %s)", id, l.logsDir(id))
	}
	return strings.TrimRight(b.String(), "\n")
}

// tailFile returns the last n lines of path, reading at most its last
// 256 KiB.
func tailFile(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 256<<10 {
		f.Seek(fi.Size()-256<<10, 0)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}

// leftover is a broker process found through its pid file.
type leftover struct {
	pid   int
	props string
}

// runningNodes lists dir's nodes that are still running, according to
// their pid files.
func runningNodes(dir string) ([]leftover, error) {
	files, err := filepath.Glob(filepath.Join(dir, "node-*", "kafka.pid"))
	if err != nil {
		return nil, err
	}
	var running []leftover
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			continue
		}
		props := filepath.Join(filepath.Dir(f), "server.properties")
		if isNodeProcess(pid, props) {
			running = append(running, leftover{pid, props})
		}
	}
	return running, nil
}

// StopLeftover kills the brokers still running from dir's pid files, as a
// crashed kbench or an interrupted `cluster up` may leave them, and returns
// their pids. A pid now used by another program is left alone.
func StopLeftover(dir string) ([]int, error) {
	running, err := runningNodes(dir)
	if err != nil {
		return nil, fmt.Errorf("looking for leftover brokers in %s: %w", dir, err)
	}
	var pids []int
	var errs []error
	for _, r := range running {
		pids = append(pids, r.pid)
		if err := signalPID(r.pid, sigKill); err != nil {
			errs = append(errs, fmt.Errorf("killing leftover broker pid %d: %w", r.pid, err))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range running {
		_ = poll.Until(ctx, 100*time.Millisecond, func(context.Context) (bool, error) {
			return !isNodeProcess(r.pid, r.props), nil
		})
		if isNodeProcess(r.pid, r.props) {
			errs = append(errs, fmt.Errorf("leftover broker pid %d survived SIGKILL", r.pid))
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "node-*", "kafka.pid"))
	for _, f := range files {
		os.Remove(f)
	}
	return pids, errors.Join(errs...)
}

// stopGrace is how long a broker gets to shut down after SIGTERM before it
// is killed.
const stopGrace = 20 * time.Second

// brokerHeap is the heap flags of a broker: fixed size, as the scripts do.
func brokerHeap(mb int) []string {
	return []string{fmt.Sprintf("-Xmx%dM", mb), fmt.Sprintf("-Xms%dM", mb)}
}

// toolHeap is the heap flag the scripts give Kafka's command line tools.
const toolHeap = "-Xmx256M"

// jvmArgs are the java arguments kafka-run-class.sh would use, with our
// own heap, log directory and log4j2 config.
func (l *Cluster) jvmArgs(heap []string, id int32, main string, args ...string) []string {
	a := slices.Clone(heap)
	a = append(a,
		"-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
		"-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
		"-XX:MaxInlineLevel=15", "-Djava.awt.headless=true",
		"-Dkafka.logs.dir="+l.logsDir(id),
		"-Dlog4j2.configurationFile="+filepath.Join(l.dir, "log4j2.xml"),
		"-cp", filepath.Join(l.st.Libs, "*"),
		main,
	)
	return append(a, args...)
}
