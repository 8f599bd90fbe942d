package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Where things sit in the image, and who kbench runs as: the same user and
// folders as deploy/Dockerfile, so the manifests fit either image.
const (
	binaryPath = "/usr/local/bin/kbench"
	homeDir    = "/home/kbench"
	caPath     = "/etc/ssl/certs/ca-certificates.crt"
	uid        = 65532
	user       = "65532:65532"
	// metricsPort is kbench's --metrics-addr in the Job.
	metricsPort = "9100/tcp"
)

// spec is what goes into the image.
type spec struct {
	// binary is kbench, built for linux.
	binary string
	// caBundle is the PEM file of CA certificates for TLS to the cluster.
	caBundle string
	// version labels the image (org.opencontainers.image.version).
	version string
}

// file is one entry of the image's single layer.
type file struct {
	name string // absolute path in the image
	mode int64  // permission bits, plus tar's type from typ
	typ  byte
	uid  int
	data []byte
}

// build makes kbench's image from nothing: one layer with the binary, the
// shared libraries and loader it links (none for a static binary), CA
// certificates, a passwd naming an unprivileged user, and a home folder
// that user owns, so the default ./kbench-results can be created.
func build(s spec) (v1.Image, error) {
	bin, err := os.ReadFile(s.binary)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(s.binary)
	if err != nil {
		return nil, err
	}
	arch, libs, err := linkage(s.binary)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(s.caBundle)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w (install Debian's ca-certificates, or give -ca FILE)", err)
	}
	files := []file{
		{name: binaryPath, mode: 0o755, data: bin},
		{name: caPath, mode: 0o644, data: ca},
		{name: "/etc/passwd", mode: 0o644, data: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				fmt.Sprintf("kbench:x:%d:%d:kbench:%s:/sbin/nologin\n", uid, uid, homeDir))},
		{name: "/etc/group", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:\nkbench:x:%d:\n", uid))},
		// /etc/hosts before DNS, for glibc (librdkafka) and Go alike.
		{name: "/etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: homeDir, mode: 0o755, typ: tar.TypeDir, uid: uid},
		{name: "/tmp", mode: 0o1777, typ: tar.TypeDir},
	}
	for _, lib := range libs {
		data, err := os.ReadFile(lib) // the file a symlink names, at the link's path
		if err != nil {
			return nil, fmt.Errorf("shared library of %s: %w", s.binary, err)
		}
		files = append(files, file{name: lib, mode: 0o755, data: data})
	}
	layer, err := layerOf(files, st.ModTime())
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = arch
	cf.Created = v1.Time{Time: st.ModTime().UTC()}
	cf.Config = v1.Config{
		Entrypoint:   []string{binaryPath},
		User:         user,
		WorkingDir:   homeDir,
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + homeDir},
		ExposedPorts: map[string]struct{}{metricsPort: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "kbench",
			"org.opencontainers.image.version": s.version,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// linkage reads the binary's architecture (as Go and OCI name it) and, for
// a dynamically linked one, the files it needs to start: its loader (the
// ELF interpreter) and the shared libraries ldd resolves on this machine.
func linkage(binary string) (arch string, libs []string, err error) {
	f, err := elf.Open(binary)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w (kbench built for linux is wanted)", binary, err)
	}
	defer f.Close()
	switch f.Machine {
	case elf.EM_X86_64:
		arch = "amd64"
	case elf.EM_AARCH64:
		arch = "arm64"
	default:
		return "", nil, fmt.Errorf("%s: machine %v: only amd64 and arm64 are built", binary, f.Machine)
	}
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return "", nil, err
			}
			interp = string(bytes.TrimRight(b, "\x00"))
		}
	}
	if interp == "" {
		return arch, nil, nil // static: nothing to bring along
	}
	out, err := exec.Command("ldd", binary).Output()
	if err != nil {
		return "", nil, fmt.Errorf("ldd %s: %w", binary, err)
	}
	libs, err = parseLdd(out)
	if err != nil {
		return "", nil, fmt.Errorf("ldd %s: %w", binary, err)
	}
	if !slices.Contains(libs, interp) {
		libs = append(libs, interp)
	}
	return arch, libs, nil
}

// parseLdd takes the paths from ldd's output, whose lines are
// "name => /path (addr)" for a library, "/path (addr)" for the loader and
// "name (addr)" for the kernel's vDSO, which has no file.
func parseLdd(out []byte) ([]string, error) {
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "statically linked" {
			continue
		}
		target := line
		if _, after, ok := strings.Cut(line, "=>"); ok {
			target = strings.TrimSpace(after)
		}
		if strings.HasPrefix(target, "not found") {
			return nil, fmt.Errorf("library not found: %s", line)
		}
		p, _, _ := strings.Cut(target, " (")
		if strings.HasPrefix(p, "/") && !slices.Contains(libs, p) {
			libs = append(libs, p)
		}
	}
	return libs, sc.Err()
}

// layerOf writes files, with every parent folder, as one gzipped tar layer
// whose entries all carry the time mod, so the same inputs give the same
// digest.
func layerOf(files []file, mod time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	// The fastest level: kbench's layer comes out under a tenth larger than
	// at the default level, in a third of the time.
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	written := map[string]bool{}
	var dirs func(name string) error
	dirs = func(name string) error {
		dir := path.Dir(name)
		if dir == "/" || written[dir] {
			return nil
		}
		if err := dirs(dir); err != nil {
			return err
		}
		written[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir[1:] + "/", Mode: 0o755, ModTime: mod, Format: tar.FormatPAX})
	}
	for _, f := range files {
		if !path.IsAbs(f.name) {
			return nil, errors.New("image path not absolute: " + f.name)
		}
		if err := dirs(f.name); err != nil {
			return nil, err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.name[1:], Mode: f.mode, Uid: f.uid, Gid: f.uid,
			Size: int64(len(f.data)), ModTime: mod, Format: tar.FormatPAX}
		if f.typ == tar.TypeDir {
			h.Typeflag, h.Name, h.Size = tar.TypeDir, h.Name+"/", 0
		}
		written[f.name] = true
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	// Already compressed: the library hashes it as it is, and gunzips it
	// once for the uncompressed digest.
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}
