//go:build unix

package results

import (
	"os"
	"path/filepath"
	"testing"
)

// Standard output, however named, is written in place, even when it is
// redirected to an existing file.
func TestDestinationStdout(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "redirected.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = old }()
	for _, path := range []string{"-", "/dev/stdout"} {
		dest, inPlace, err := Destination(path, "dir", "r.json", false)
		if err != nil || dest != "-" || !inPlace {
			t.Errorf("Destination(%q) = %q, %v, %v; want \"-\", in place", path, dest, inPlace, err)
		}
	}
}

// A device that refuses writes is found before the run.
func TestDestinationDeviceFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	if _, _, err := Destination("/dev/full", "dir", "r.json", false); err == nil {
		t.Error("/dev/full accepted")
	}
	if _, inPlace, err := Destination("/dev/null", "dir", "r.json", false); err != nil || !inPlace {
		t.Errorf("/dev/null: in place %v, %v", inPlace, err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	old := os.Stdout
	os.Stdout = full
	defer func() { os.Stdout = old }()
	if _, _, err := Destination("-", "dir", "r.json", false); err == nil {
		t.Error("-o - with stdout on /dev/full accepted")
	}
}
