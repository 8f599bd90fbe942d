package local

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// KafkaVersion is the Apache Kafka release the local target runs. It is the
// one place the version is pinned: the jars' cache directory, the pom and
// the results all follow it.
const KafkaVersion = "4.1.1"

// log4jVersion is the log4j2 release Kafka KafkaVersion was built with; its
// pom does not bring a logging backend, so kbench adds one.
const log4jVersion = "2.24.3"

// minJava is the oldest Java major version Kafka 4.x runs on.
const minJava = 17

//go:embed kafka/pom.xml.tmpl
var pomTemplate string

// completeMarker is written into a cache directory only after a fetch
// finished, so a half-fetched directory is never used.
const completeMarker = ".complete"

// jarSet is one set of Apache Kafka jars that kbench fetches with Maven,
// each into its own cache directory so that the broker's classpath never
// holds what only the tools need.
type jarSet struct {
	name      string     // cache directory prefix, followed by -version
	version   string     // the set's release; "" is KafkaVersion
	what      string     // what it is, for messages
	artifacts []artifact // listed in the pom; their runtime closure is fetched
	needed    []string   // jars a finished fetch must hold
}

// artifact is one Maven dependency of a jarSet's pom.
type artifact struct{ Group, Name, Version string }

// brokerJars run kafka.Kafka and its storage tool. kafka_2.13's pom brings
// no logging backend, so log4j2 and its slf4j 1.7 binding are added.
var brokerJars = jarSet{
	name: "kafka",
	what: "Apache Kafka " + KafkaVersion,
	artifacts: []artifact{
		{"org.apache.kafka", "kafka_2.13", KafkaVersion},
		{"org.apache.logging.log4j", "log4j-api", log4jVersion},
		{"org.apache.logging.log4j", "log4j-core", log4jVersion},
		{"org.apache.logging.log4j", "log4j-slf4j-impl", log4jVersion},
	},
	needed: []string{"kafka_2.13-" + KafkaVersion + ".jar", "log4j-core-" + log4jVersion + ".jar", "log4j-slf4j-impl-" + log4jVersion + ".jar"},
}

// toolsJars run Kafka's perf tools (ProducerPerformance,
// ConsumerPerformance); kafka-tools brings log4j-core but no slf4j binding.
var toolsJars = jarSet{
	name: "kafka-tools",
	what: "Apache Kafka " + KafkaVersion + " tools",
	artifacts: []artifact{
		{"org.apache.kafka", "kafka-tools", KafkaVersion},
		{"org.apache.logging.log4j", "log4j-slf4j-impl", log4jVersion},
	},
	needed: []string{"kafka-tools-" + KafkaVersion + ".jar", "kafka-clients-" + KafkaVersion + ".jar", "log4j-slf4j-impl-" + log4jVersion + ".jar"},
}

// JMXExporterVersion is the Prometheus JMX exporter release each local
// broker runs as a Java agent, for its telemetry.
const JMXExporterVersion = "1.0.1"

// jmxExporterJars is the JMX exporter's agent, one self-contained jar.
var jmxExporterJars = jarSet{
	name:      "jmx-exporter",
	version:   JMXExporterVersion,
	what:      "Prometheus JMX exporter " + JMXExporterVersion,
	artifacts: []artifact{{"io.prometheus.jmx", "jmx_prometheus_javaagent", JMXExporterVersion}},
	needed:    []string{jmxAgentJar},
}

// jmxAgentJar is the agent's file in its cache directory's libs.
const jmxAgentJar = "jmx_prometheus_javaagent-" + JMXExporterVersion + ".jar"

// FetchJMXExporter is FetchKafka for the JMX exporter's agent jar, cached
// in jmx-exporter-<version>; it returns the jar's path.
func FetchJMXExporter(ctx context.Context, log io.Writer) (jar string, err error) {
	libs, err := fetchJars(ctx, jmxExporterJars, log)
	if err != nil {
		return "", err
	}
	return filepath.Join(libs, jmxAgentJar), nil
}

func (s jarSet) release() string {
	if s.version != "" {
		return s.version
	}
	return KafkaVersion
}

// KafkaCacheDir returns the directory the broker jars of KafkaVersion are
// cached in: $KBENCH_CACHE/kafka-<version> when KBENCH_CACHE is set, else
// $XDG_CACHE_HOME/kbench/kafka-<version>, else
// ~/.cache/kbench/kafka-<version>.
func KafkaCacheDir() (string, error) { return cacheDir(brokerJars) }

func cacheDir(set jarSet) (string, error) {
	root := os.Getenv("KBENCH_CACHE")
	if root == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("finding the jar cache: %w; set KBENCH_CACHE to a directory", err)
			}
			base = filepath.Join(home, ".cache")
		}
		root = filepath.Join(base, "kbench")
	}
	abs, err := filepath.Abs(filepath.Join(root, set.name+"-"+set.release()))
	if err != nil {
		return "", fmt.Errorf("jar cache %s: %w", root, err)
	}
	return abs, nil
}

// FetchKafka makes sure the runtime jars of Apache Kafka KafkaVersion are in
// the cache and returns the directory holding them. The first call fetches
// them from Maven Central with mvn, streaming Maven's output to log (nil
// discards it); later calls return at once.
func FetchKafka(ctx context.Context, log io.Writer) (libDir string, err error) {
	return fetchJars(ctx, brokerJars, log)
}

// FetchKafkaTools is FetchKafka for the jars of Kafka's command-line tools
// (org.apache.kafka:kafka-tools of KafkaVersion), cached beside the
// broker's in kafka-tools-<version>.
func FetchKafkaTools(ctx context.Context, log io.Writer) (libDir string, err error) {
	return fetchJars(ctx, toolsJars, log)
}

func fetchJars(ctx context.Context, set jarSet, log io.Writer) (libDir string, err error) {
	if log == nil {
		log = io.Discard
	}
	dir, err := cacheDir(set)
	if err != nil {
		return "", err
	}
	libs := filepath.Join(dir, "libs")
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err == nil {
		return libs, nil
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", errors.New("mvn not found on PATH: kbench fetches Apache Kafka's jars with Maven; " +
			"install Maven 3 (e.g. apt install maven) or put mvn on PATH")
	}
	fmt.Fprintf(log, "kbench: fetching %s jars from Maven Central into %s (first use only)\n", set.what, dir)

	root := filepath.Dir(dir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("creating jar cache %s: %w; set KBENCH_CACHE to a writable directory", root, err)
	}
	// Fetch into a fresh directory and rename it into place at the end, so
	// an interrupted fetch leaves nothing that looks usable.
	tmp, err := os.MkdirTemp(root, filepath.Base(dir)+".fetch-")
	if err != nil {
		return "", fmt.Errorf("creating jar cache %s: %w; set KBENCH_CACHE to a writable directory", root, err)
	}
	defer os.RemoveAll(tmp)

	pom := filepath.Join(tmp, "pom.xml")
	if err := writePom(pom, set); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, mvn, "-B", "-Dstyle.color=never", "-f", pom,
		"dependency:copy-dependencies",
		"-DoutputDirectory="+filepath.Join(tmp, "libs"),
		"-DincludeScope=runtime")
	cmd.Dir = tmp
	tail := &lineTail{max: 30}
	out := &linePrefixer{w: io.MultiWriter(log, tail), prefix: "  mvn: "}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.Flush()
	if err != nil {
		return "", fmt.Errorf("mvn could not fetch %s (check network access to Maven Central and ~/.m2/settings.xml): %w\nlast lines of its output:\n%s",
			set.what, err, tail.String())
	}
	for _, jar := range set.needed {
		if _, err := os.Stat(filepath.Join(tmp, "libs", jar)); err != nil {
			return "", fmt.Errorf("mvn finished but %s is missing from %s: %w", jar, filepath.Join(tmp, "libs"), err)
		}
	}

	// A directory left by an interrupted older kbench has no marker: drop it.
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("removing incomplete jar cache %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another kbench may have finished the same fetch first.
		if _, serr := os.Stat(filepath.Join(dir, completeMarker)); serr == nil {
			return libs, nil
		}
		return "", fmt.Errorf("moving fetched jars into %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, completeMarker), []byte(set.release()+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("marking jar cache %s complete: %w", dir, err)
	}
	fmt.Fprintf(log, "kbench: %s jars ready in %s\n", set.what, libs)
	return libs, nil
}

func writePom(path string, set jarSet) error {
	t, err := template.New("pom").Parse(pomTemplate)
	if err != nil {
		return fmt.Errorf("kbench's embedded pom template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct {
		Name      string
		Version   string
		Artifacts []artifact
	}{set.name, set.release(), set.artifacts}); err != nil {
		return fmt.Errorf("kbench's embedded pom template: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// FindJava returns the java binary kbench runs brokers with ($JAVA_HOME/bin/java
// if JAVA_HOME is set, else java on PATH) after checking it is Java 17 or
// newer.
func FindJava(ctx context.Context) (string, error) {
	java := ""
	if home := os.Getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", "java")
		if _, err := os.Stat(p); err == nil {
			java = p
		}
	}
	if java == "" {
		p, err := exec.LookPath("java")
		if err != nil {
			return "", fmt.Errorf("java not found on PATH (nor in JAVA_HOME): Apache Kafka %s needs Java %d or newer; "+
				"install a JDK or JRE %d+ (e.g. apt install openjdk-17-jre-headless) or set JAVA_HOME", KafkaVersion, minJava, minJava)
		}
		java = p
	}
	out, err := exec.CommandContext(ctx, java, "-version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("running %s -version: %w: %s", java, err, strings.TrimSpace(string(out)))
	}
	major, err := javaMajor(string(out))
	if err != nil {
		return "", fmt.Errorf("%s -version: %w", java, err)
	}
	if major < minJava {
		return "", fmt.Errorf("%s is Java %d but Apache Kafka %s needs Java %d or newer: install Java %d+ and put it first on PATH or set JAVA_HOME",
			java, major, KafkaVersion, minJava, minJava)
	}
	return java, nil
}

var javaVersionRE = regexp.MustCompile(`version "([0-9]+)(?:\.([0-9]+))?`)

// javaMajor reads the major version from `java -version` output: "17.0.15"
// is 17, and the old scheme "1.8.0_392" is 8.
func javaMajor(out string) (int, error) {
	m := javaVersionRE.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no version in its output %q", strings.TrimSpace(out))
	}
	major, _ := strconv.Atoi(m[1])
	if major == 1 && m[2] != "" {
		major, _ = strconv.Atoi(m[2])
	}
	return major, nil
}

// ansiRE matches terminal colour codes, which Maven 3.8 emits even in batch
// mode.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// linePrefixer writes each complete, non-blank line to w with a prefix,
// colour codes removed.
type linePrefixer struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.line(p.buf[:i])
		p.buf = p.buf[i+1:]
	}
}

// Flush writes a last line that had no newline.
func (p *linePrefixer) Flush() {
	p.line(p.buf)
	p.buf = nil
}

func (p *linePrefixer) line(b []byte) {
	b = bytes.TrimSpace(ansiRE.ReplaceAll(b, nil))
	if len(b) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, b)
	}
}

// lineTail keeps the last max lines written to it.
type lineTail struct {
	max   int
	lines []string
}

func (t *lineTail) Write(b []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		t.lines = append(t.lines, sc.Text())
		if len(t.lines) > t.max {
			t.lines = t.lines[1:]
		}
	}
	return len(b), nil
}

func (t *lineTail) String() string { return strings.Join(t.lines, "\n") }
