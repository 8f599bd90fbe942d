package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kbench/kbench/bench"
	kprom "github.com/kbench/kbench/outputs/prometheus"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// manifests decodes every file of kubernetes/ strictly (an unknown or
// misspelt field is an error) into its API type, by kind.
type manifests struct {
	job       *batchv1.Job
	configMap *corev1.ConfigMap
	secret    *corev1.Secret
	pvc       *corev1.PersistentVolumeClaim
	pod       *corev1.Pod
}

func load(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in kubernetes/: %v", err)
	}
	var m manifests
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head metav1.TypeMeta
		if err := yaml.Unmarshal(data, &head); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var obj any
		switch head.APIVersion + " " + head.Kind {
		case "batch/v1 Job":
			m.job = &batchv1.Job{}
			obj = m.job
		case "v1 ConfigMap":
			m.configMap = &corev1.ConfigMap{}
			obj = m.configMap
		case "v1 Secret":
			m.secret = &corev1.Secret{}
			obj = m.secret
		case "v1 PersistentVolumeClaim":
			m.pvc = &corev1.PersistentVolumeClaim{}
			obj = m.pvc
		case "v1 Pod":
			m.pod = &corev1.Pod{}
			obj = m.pod
		default:
			t.Fatalf("%s: unexpected %s %s; add it to this test", f, head.APIVersion, head.Kind)
		}
		if err := yaml.UnmarshalStrict(data, obj); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if m.job == nil || m.configMap == nil || m.secret == nil || m.pvc == nil || m.pod == nil {
		t.Fatalf("want a Job, a ConfigMap, a Secret, a PersistentVolumeClaim and a Pod, got %+v", m)
	}
	return m
}

// flag returns the value of --name=value in args, "" if absent.
func flag(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// The decoding the other tests rely on refuses what Kubernetes would
// refuse or silently drop.
func TestStrictDecoding(t *testing.T) {
	for _, bad := range []string{
		"spec:\n  completionsMode: Indexed\n", // misspelt field
		"spec:\n  completions: three\n",       // wrong type
	} {
		if err := yaml.UnmarshalStrict([]byte("apiVersion: batch/v1\nkind: Job\n"+bad), &batchv1.Job{}); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
}

func TestJob(t *testing.T) {
	m := load(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	spec := m.job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("the Job must be Indexed: JOB_COMPLETION_INDEX is each pod's shard")
	}
	if spec.Parallelism == nil || spec.Completions == nil || *spec.Parallelism != *spec.Completions {
		t.Fatal("parallelism must equal completions: every shard runs at once")
	}
	n := int(*spec.Completions)
	if !bytes.Contains(readme, []byte("completions: "+strconv.Itoa(n))) {
		t.Errorf("README.md does not name completions: %d", n)
	}
	if spec.BackoffLimitPerIndex == nil || *spec.BackoffLimitPerIndex != 0 {
		t.Error("a failed shard must not be restarted into a run that has moved on: backoffLimitPerIndex 0")
	}
	// Without maxFailedIndexes a failed shard stops no other, and the
	// count is not written a fourth time.
	if spec.MaxFailedIndexes != nil {
		t.Error("maxFailedIndexes repeats the shard count: leave it out, so every shard runs to its end")
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("restartPolicy must be Never")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !bytes.Contains(readme, []byte(c.Image)) || m.pod.Spec.Containers[0].Image != c.Image {
		t.Errorf("image %s: the README and the fetch pod must name it too", c.Image)
	}

	if len(c.Args) == 0 || c.Args[0] != "run" {
		t.Fatalf("args %v: want kbench run", c.Args)
	}
	if v, _ := flag(c.Args, "shards"); v != strconv.Itoa(n) {
		t.Errorf("--shards=%s, want completions (%d)", v, n)
	}
	if _, ok := flag(c.Args, "shard"); ok {
		t.Error("--shard given: the shard index must come from JOB_COMPLETION_INDEX")
	}
	if v, _ := flag(c.Args, "run-id"); v != "$(KBENCH_RUN_ID)" {
		t.Errorf("--run-id=%s, want $(KBENCH_RUN_ID)", v)
	}
	for _, a := range c.Args {
		if strings.Contains(strings.ToLower(a), "password") {
			t.Errorf("argument %q: secrets belong in the Secret's file, not on the command line", a)
		}
	}
	// Every $(VAR) in the arguments is set: by env, or by the Job
	// controller (JOB_COMPLETION_INDEX, in an Indexed Job).
	env := map[string]corev1.EnvVar{"JOB_COMPLETION_INDEX": {}}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	for _, ref := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(strings.Join(c.Args, " "), -1) {
		if _, ok := env[ref[1]]; !ok {
			t.Errorf("argument uses $(%s), which no env var sets", ref[1])
		}
	}
	if out, _ := flag(c.Args, "output"); !strings.Contains(out, "$(JOB_COMPLETION_INDEX)") || !strings.HasPrefix(out, "/results/") {
		t.Errorf("--output=%s: each shard writes its own file on the results volume", out)
	}
	if ref := env["KBENCH_RUN_ID"].ValueFrom; ref == nil || ref.FieldRef == nil ||
		ref.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/controller-uid']" {
		t.Error("KBENCH_RUN_ID must be the Job's uid: the same in every pod, new for each Job")
	}
	if ref := env["KBENCH_BOOTSTRAP"].ValueFrom; ref == nil || ref.ConfigMapKeyRef == nil ||
		ref.ConfigMapKeyRef.Name != m.configMap.Name || m.configMap.Data[ref.ConfigMapKeyRef.Key] == "" {
		t.Error("KBENCH_BOOTSTRAP must come from the workload ConfigMap")
	}

	// The metrics port: the flag, the container port and the scrape
	// annotations agree.
	addr, _ := flag(c.Args, "metrics-addr")
	port := strings.TrimPrefix(addr, ":")
	ann := spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != port || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v do not match --metrics-addr=%s", ann, addr)
	}
	if len(c.Ports) != 1 || strconv.Itoa(int(c.Ports[0].ContainerPort)) != port || c.Ports[0].Name != "metrics" {
		t.Errorf("ports %v: want one named metrics on %s", c.Ports, port)
	}

	// Volumes: each file a flag names is mounted from the object that
	// holds it.
	mounts := map[string]string{} // volume name -> mount path
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	for _, f := range []struct{ flag, volume, key string }{
		{"workload", "workload", "workload.yaml"},
		{"client-config", "client", "client.properties"},
	} {
		path, _ := flag(c.Args, f.flag)
		if want := mounts[f.volume] + "/" + f.key; path != want {
			t.Errorf("--%s=%s, but volume %s puts %s at %s", f.flag, path, f.volume, f.key, want)
		}
	}
	if cm := vols["workload"].ConfigMap; cm == nil || cm.Name != m.configMap.Name || m.configMap.Data["workload.yaml"] == "" {
		t.Error("volume workload must be the ConfigMap holding workload.yaml")
	}
	if s := vols["client"].Secret; s == nil || s.SecretName != m.secret.Name || m.secret.StringData["client.properties"] == "" {
		t.Error("volume client must be the Secret holding client.properties")
	}
	if p := vols["results"].PersistentVolumeClaim; p == nil || p.ClaimName != m.pvc.Name || mounts["results"] != "/results" {
		t.Error("volume results must be the PersistentVolumeClaim, mounted at /results")
	}
	// The workload is one kbench takes, with roles within the shards.
	w, err := workload.ParseWorkload([]byte(m.configMap.Data["workload.yaml"]))
	if err == nil {
		err = w.Resolve()
	}
	if err != nil {
		t.Errorf("the ConfigMap's workload.yaml: %v", err)
	} else {
		for _, s := range append(w.Shards.Producers, w.Shards.Consumers...) {
			if s >= n {
				t.Errorf("the workload's shards roles name shard %d of %d", s, n)
			}
		}
	}
	if !slices.Contains(m.pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Error("the results volume is written from several nodes: ReadWriteMany")
	}
	if p := m.pod.Spec.Volumes[0].PersistentVolumeClaim; p == nil || p.ClaimName != m.pvc.Name {
		t.Error("the fetch pod must mount the results volume")
	}
}

// Every series the dashboard queries is one kbench serves.
func TestDashboardMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("grafana", "kbench-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana/kbench-run.json: %v", err)
	}
	// A failure and a fault, so the series with variable labels exist.
	m := kprom.New("r", 0)
	m.Interval(&bench.Interval{Interval: results.Interval{ErrorsByKind: map[string]int64{"timeout": 1}}})
	m.Fault(results.Fault{Action: "kill", Phase: results.PhaseInject})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			served[f.GetName()+"_bucket"] = true
		}
	}
	used := regexp.MustCompile(`kbench_[a-z0-9_]+`).FindAllString(string(data), -1)
	if len(used) == 0 {
		t.Fatal("the dashboard queries no kbench series")
	}
	for _, name := range used {
		if !served[name] {
			t.Errorf("the dashboard queries %s, which kbench does not serve", name)
		}
	}
}

// The build context leaves out what a working tree gathers: results, built
// binaries, test clusters (gigabytes of broker logs) and git history.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.Trim(line, "/"))
		}
	}
	ignored := func(name string) bool {
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	for _, name := range []string{".git", "bin", "kbench-results", ".test-cluster", ".peers-cluster", ".secure-cluster", "kbench", "r.json"} {
		if !ignored(name) {
			t.Errorf("%s goes into the build context", name)
		}
	}
	for _, name := range []string{"go.mod", "go.sum", "cmd", "workloads", "profiles", "analysis"} {
		if ignored(name) {
			t.Errorf("%s is left out of the build context, which needs it", name)
		}
	}
}

// The image's working directory belongs to the user it runs as, so the
// default results folder (./kbench-results) can be made there.
func TestImageWorkdirWritable(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(text)
	workdir := regexp.MustCompile(`(?m)^WORKDIR (\S+)`).FindAllStringSubmatch(text, -1)
	if user == nil || len(workdir) == 0 {
		t.Fatal("the Dockerfile names no USER or WORKDIR")
	}
	dir := workdir[len(workdir)-1][1]
	if !strings.Contains(text, "chown "+user[1]+" "+dir) {
		t.Errorf("WORKDIR %s is not chowned to %s: the default results folder cannot be made there", dir, user[1])
	}
}
