package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/drivers/all"
)

func versionCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("version", "version", "  kbench version\n")
	return fs, func(ctx context.Context) error {
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
}
