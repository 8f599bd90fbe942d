package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/kbench/kbench/drivers/all"
)

func versionCmd(ctx context.Context, args []string) error {
	fs := newFlags("version", "version", "  kbench version\n")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Printf("kbench %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, name := range all.Names() {
		d, err := all.Get(name)
		if err != nil {
			return err
		}
		fmt.Printf("  driver %-10s %s\n", name, d.Library())
	}
	return nil
}
