package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"

	"github.com/zbemu/zbemu/fixtures/zbclient"

	"github.com/zbemu/zbemu/fixtures/labs"
)

const labUsage = `usage:
  zbemu lab list              the workshop's six labs
  zbemu lab open N            print lab N (Markdown)
  zbemu lab check N           check your progress in lab N on the running server
  zbemu lab files [DIR]       copy the lab kit (pipeline source, Python generators) into DIR (default workshop-kit)`

// runLab implements zbemu lab list|open|check|files.
func runLab(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New(labUsage)}
	}
	fs := flag.NewFlagSet("zbemu lab "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return usageError{err}
	}
	switch {
	case args[0] == "list" && len(pos) == 0:
		all, err := labs.All()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, l := range all {
			fmt.Fprintf(tw, "%d\t%s\n", l.Number, l.Title)
		}
		tw.Flush()
		fmt.Fprintln(stdout, "\nread one: zbemu lab open N    check your progress: zbemu lab check N")
		return nil
	case (args[0] == "open" || args[0] == "check") && len(pos) == 1:
		n, err := strconv.Atoi(pos[0])
		if err != nil {
			return usageError{fmt.Errorf("lab number: want 1 to 6, got %q", pos[0])}
		}
		l, err := labs.ByNumber(n)
		if err != nil {
			return err
		}
		if args[0] == "open" {
			_, err := stdout.Write(l.Source)
			return err
		}
		return checkLab(ctx, l, &labs.Client{REST: c.REST}, stdout)
	case args[0] == "files" && len(pos) <= 1:
		dir := "workshop-kit"
		if len(pos) == 1 {
			dir = pos[0]
		}
		files, err := labs.WriteKit(dir)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "wrote %s/%s\n", dir, f)
		}
		return nil
	}
	return usageError{errors.New(labUsage)}
}

// checkLab prints each check of a lab with a mark and, while it fails, its
// hint; it fails when any check does.
func checkLab(ctx context.Context, l *labs.Lab, c *labs.Client, stdout io.Writer) error {
	if err := c.Do(ctx, http.MethodGet, "/zbemu/v1/stats", nil, nil); errors.Is(err, zbclient.ErrUnreachable) {
		return err
	}
	fmt.Fprintf(stdout, "%s\n\n", l.Title)
	results := labs.RunChecks(ctx, c, l.Checks)
	missing := 0
	for _, r := range results {
		if r.Status == labs.Passed {
			fmt.Fprintf(stdout, "  ✓ %s (%s)\n", r.Check, r.Detail)
			continue
		}
		missing++
		fmt.Fprintf(stdout, "  ✗ %s (%s)\n      hint: %s\n", r.Check, r.Detail, r.Check.Hint)
	}
	if missing > 0 {
		return fmt.Errorf("lab %d: %d of %d checks not passed yet", l.Number, missing, len(results))
	}
	fmt.Fprintf(stdout, "\nall %d checks passed: lab %d done.\n", len(results), l.Number)
	return nil
}
