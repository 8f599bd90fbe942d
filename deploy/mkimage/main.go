// Command mkimage writes kbench's container image as a tarball that
// `docker load` and `podman load` take, with neither a Docker daemon nor a
// base image from a registry: the image holds the kbench binary, the
// shared libraries and loader it links (taken from this machine), CA
// certificates, and an unprivileged user with a writable home. `make image`
// runs it; deploy/README.md says how to load and run the result.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	var s spec
	var out, tag string
	flag.StringVar(&s.binary, "binary", "bin/kbench", "the kbench binary to put in the image (linux, amd64 or arm64)")
	flag.StringVar(&s.caBundle, "ca", caPath, "PEM bundle of CA certificates to put in the image")
	flag.StringVar(&s.version, "version", "dev", "kbench's version, for the image's label")
	flag.StringVar(&out, "o", "bin/kbench-image.tar", "the image tarball to write")
	flag.StringVar(&tag, "tag", "kbench:dev", "the image's name and tag, as loading it names it")
	flag.Parse()
	if err := run(os.Stdout, s, out, tag); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

// run writes the image of s to out, named tag, and tells w how to use it.
func run(w io.Writer, s spec, out, tag string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", tag, err)
	}
	img, err := build(s)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(w, "wrote %s (%s). Load and run it with podman or docker:\n", out, tag)
	fmt.Fprintf(w, "  podman load -i %s\n", out)
	fmt.Fprintf(w, "  podman run --rm %s --version\n", tag)
	fmt.Fprintf(w, "  podman run --rm %s run --cluster embedded --workload smoke --duration 5s\n", tag)
	return nil
}
