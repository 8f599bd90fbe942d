package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kbench/kbench/drivers/all"
)

// script writes 'kbench completion SHELL' to a file and returns its path.
func script(t *testing.T, shell string) string {
	t.Helper()
	code, stdout, _ := kbench(t, "completion", shell)
	if code != exitOK || stdout == "" {
		t.Fatalf("completion %s: exit %d", shell, code)
	}
	path := filepath.Join(t.TempDir(), "kbench."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The bash script parses, and completes as a user pressing tab would see:
// it is sourced, COMP_WORDS and COMP_CWORD set for a command line, and
// COMPREPLY read back.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	path := script(t, "bash")
	if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	complete := func(words ...string) []string {
		t.Helper()
		// The words as a bash array, each quoted.
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + path + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_kbench\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
		cmd.Dir = t.TempDir() // no files to complete
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", words, err, out)
		}
		return strings.Fields(string(out))
	}
	drivers := all.Names()
	cases := []struct {
		words []string // the command line, the last word being completed
		want  []string // all of these, and only these when exact
		exact bool
	}{
		{[]string{"kbench", "run", "--dri"}, []string{"--driver"}, true},
		{[]string{"kbench", "run", "--driver", ""}, drivers, true},
		{[]string{"kbench", "run", "--driver", "=", ""}, drivers, true}, // --driver=, as bash splits it
		{[]string{"kbench", "sweep", "--workload", "sm"}, []string{"smoke"}, true},
		{[]string{"kbench", "cl"}, []string{"cluster"}, true},
		{[]string{"kbench", "cluster", ""}, []string{"up", "status", "bootstrap", "down"}, true},
		{[]string{"kbench", "cluster", "--dir", "x", "st"}, []string{"status"}, true},
		{[]string{"kbench", "plot", "--kind", ""}, []string{"spectrum", "timeline", "sweep", "latency-throughput"}, false},
		{[]string{"kbench", "completion", ""}, []string{"bash", "zsh", "fish"}, true},
		{[]string{"kbench", "help", "ru"}, []string{"run"}, true},
		{[]string{"kbench", "run", "-"}, []string{"--workload", "--set", "-o", "--help"}, false},
	}
	for _, c := range cases {
		got := complete(c.words...)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: COMPREPLY %q lacks %q", c.words, got, w)
			}
		}
		if c.exact && len(got) != len(c.want) {
			t.Errorf("%q: COMPREPLY %q, want only %q", c.words, got, c.want)
		}
	}
}

// The zsh and fish scripts parse, where those shells are installed.
func TestCompletionOtherShells(t *testing.T) {
	for _, shell := range []string{"zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			bin, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("no %s here", shell)
			}
			if out, err := exec.Command(bin, "-n", script(t, shell)).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
	if code, stdout, _ := kbench(t, "help", "completion"); code != exitOK || !strings.Contains(stdout, "source <(kbench completion bash)") {
		t.Errorf("help completion: exit %d, stdout %q; want how to install it", code, stdout)
	}
	if code, _, stderr := kbench(t, "completion", "tcsh"); code != exitUsage || !strings.Contains(stderr, "bash, zsh, fish") {
		t.Errorf("completion tcsh: exit %d, stderr %q; want %d and the shells", code, stderr, exitUsage)
	}
}
