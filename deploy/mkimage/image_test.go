package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kbench/kbench/results"
)

func TestParseLdd(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      []string
		err       bool
	}{
		// glibc on amd64: the vDSO has no file; the loader comes last, by its own path.
		{"glibc", "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f1)\n" +
			"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)\n",
			[]string{"/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}, false},
		// musl's ldd names the loader twice: once as itself, once as libc.
		{"musl", "\t/lib/ld-musl-x86_64.so.1 (0x7f1)\n\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f1)\n",
			[]string{"/lib/ld-musl-x86_64.so.1"}, false},
		// A library this machine lacks would make an image that cannot start.
		{"missing", "\tlibrdkafka.so.1 => not found\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLdd([]byte(tc.out))
			if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
				t.Errorf("parseLdd = %q, %v; want %q (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

// TestImage builds kbench and its image, reads the image back, and, where a
// container runtime can run containers, runs it.
func TestImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image holds a linux binary built here; this is " + runtime.GOOS)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kbench")
	goBuild(t, filepath.Join("..", ".."), bin, "./cmd/kbench", "-ldflags", "-X main.version=image-test")
	out := filepath.Join(dir, "kbench-image.tar")
	tag := fmt.Sprintf("kbench-test:%d", time.Now().UnixNano())
	var msg bytes.Buffer
	if err := run(&msg, spec{binary: bin, caBundle: caPath, version: "image-test"}, out, tag); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.String(), "podman load -i "+out) {
		t.Errorf("mkimage does not say how to load the image:\n%s", msg.String())
	}
	checkImage(t, out, tag, bin)
	t.Run("container", func(t *testing.T) {
		rt := containerRuntime(t, dir)
		load(t, rt, out, tag)
		runImage(t, rt, tag)
	})
}

// checkImage reads the tarball back with the library: the configuration
// kbench needs, and a layer with the binary and what it links.
func checkImage(t *testing.T, out, tag, bin string) {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &ref)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{binaryPath}) || c.User != user || c.WorkingDir != homeDir ||
		cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("config: entrypoint %q, user %q, workdir %q, platform %s/%s; want [%s], %s, %s, linux/%s",
			c.Entrypoint, c.User, c.WorkingDir, cf.OS, cf.Architecture, binaryPath, user, homeDir, runtime.GOARCH)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("want one layer, got %d (%v)", len(layers), err)
	}
	entries := readLayer(t, layers[0])
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if h := entries[binaryPath[1:]]; h == nil || h.Size != st.Size() || h.Mode != 0o755 {
		t.Errorf("layer: %s is %+v; want the %d-byte binary, mode 0755", binaryPath, h, st.Size())
	}
	_, libs, err := linkage(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append(libs, caPath, "/etc/passwd", "/etc/group") {
		if entries[want[1:]] == nil {
			t.Errorf("layer: no %s", want)
		}
	}
	// The default results folder is made in the working directory, as kbench's user.
	if h := entries[homeDir[1:]+"/"]; h == nil || h.Typeflag != tar.TypeDir || h.Uid != uid || h.Mode&0o700 != 0o700 {
		t.Errorf("layer: %s is %+v; want a folder its user %d may write", homeDir, h, uid)
	}
	if h := entries["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("layer: /tmp is %+v; want mode 1777", h)
	}
}

// readLayer lists a layer's entries by name; the passwd entry is checked
// on the way, as it is read.
func readLayer(t *testing.T, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if entries[h.Name] != nil {
			t.Errorf("layer: %s twice", h.Name)
		}
		entries[h.Name] = h
		if h.Name == "etc/passwd" {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("kbench:x:%d:%d:", uid, uid); !strings.Contains(string(data), want) {
				t.Errorf("/etc/passwd has no %q:\n%s", want, data)
			}
		}
	}
	return entries
}

// containerRuntime returns podman or docker ($KBENCH_CONTAINER_RUNTIME
// chooses), once a trivial image of a static binary has run in it; else
// the test skips, saying why.
func containerRuntime(t *testing.T, dir string) string {
	t.Helper()
	var rt string
	for _, c := range []string{os.Getenv("KBENCH_CONTAINER_RUNTIME"), "podman", "docker"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			rt = p
			break
		}
	}
	if rt == "" {
		t.Skip("no container runtime (podman or docker) on PATH: the image was built and read back, not run")
	}
	src := filepath.Join(dir, "probe.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"probe\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "probe")
	goBuild(t, dir, bin, src)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	layer, err := layerOf([]file{{name: "/probe", mode: 0o755, data: data}}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Entrypoint: []string{"/probe"}})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("kbench-probe:%d", time.Now().UnixNano())
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "probe.tar")
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		t.Fatal(err)
	}
	if msg, err := container(t, rt, "load", "-i", out); err != nil {
		t.Skipf("%s cannot load an image here: %v: %s", rt, err, msg)
	}
	t.Cleanup(func() { _, _ = container(t, rt, "rmi", "-f", tag) })
	if msg, err := container(t, rt, "run", "--rm", tag); err != nil || msg != "probe" {
		t.Skipf("%s cannot run a container here (a static binary alone did not run): %v: %s", rt, err, msg)
	}
	return rt
}

func load(t *testing.T, rt, out, tag string) {
	t.Helper()
	if msg, err := container(t, rt, "load", "-i", out); err != nil {
		t.Fatalf("%s load: %v: %s", rt, err, msg)
	}
	t.Cleanup(func() { _, _ = container(t, rt, "rmi", "-f", tag) })
}

// runImage runs the image's kbench: its version, then a short embedded run
// with the confluent driver (librdkafka, linked through cgo, must load),
// whose result must land in the default folder of the working directory.
func runImage(t *testing.T, rt, tag string) {
	t.Helper()
	msg, err := container(t, rt, "run", "--rm", tag, "--version")
	if err != nil || !strings.HasPrefix(msg, "kbench image-test") || !strings.Contains(msg, "librdkafka") {
		t.Fatalf("kbench --version in the image: %v:\n%s", err, msg)
	}
	ctr := strings.ReplaceAll(tag, ":", "-")
	t.Cleanup(func() { _, _ = container(t, rt, "rm", "-f", ctr) })
	msg, err = container(t, rt, "run", "--name", ctr, tag,
		"run", "--cluster", "embedded", "--workload", "smoke", "--duration", "2s", "--driver", "confluent")
	if err != nil {
		t.Fatalf("an embedded run in the image: %v:\n%s", err, msg)
	}
	got := filepath.Join(t.TempDir(), "results")
	if msg, err := container(t, rt, "cp", ctr+":"+homeDir+"/kbench-results", got); err != nil {
		t.Fatalf("copy the results out: %v: %s", err, msg)
	}
	files, err := filepath.Glob(filepath.Join(got, "*.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("want one result in %s/kbench-results, got %q (%v)", homeDir, files, err)
	}
	r, err := results.Read(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !r.Complete || r.Driver.Name != "confluent" || r.Kbench != "image-test" {
		t.Errorf("result: complete %v, driver %q, kbench %q; want a complete confluent run by image-test",
			r.Complete, r.Driver.Name, r.Kbench)
	}
}

// container runs the container runtime, bounded in time, and returns its
// combined output.
func container(t *testing.T, rt string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, rt, args...).CombinedOutput()
	t.Logf("%s %s", filepath.Base(rt), strings.Join(args, " "))
	return strings.TrimSpace(string(out)), err
}

// goBuild builds pkg (a package or a file) in dir into out; only kbench
// itself needs cgo, so the probe is built without.
func goBuild(t *testing.T, dir, out, pkg string, flags ...string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH to build kbench with")
	}
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	cmd := exec.CommandContext(t.Context(), goBin, args...)
	cmd.Dir = dir
	if strings.HasSuffix(pkg, ".go") {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
}
