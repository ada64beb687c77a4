package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/zbemu/zbemu/engine/fault"
)

const faultUsage = `usage:
  zbemu fault add --kind rate-limit|unavailable|latency|close|timeout [--table C.S.T | --stream ID]
                  [--for 30s | --count N] [--probability P] [--latency 200ms | --latency-min 50ms --latency-max 500ms]
                  [--signal-duration 5s]
  zbemu fault list
  zbemu fault clear [ID]
A fault makes a running server fail ingest requests on purpose, as the real
service does: rate-limit (429 / RESOURCE_EXHAUSTED), unavailable (503 /
UNAVAILABLE), latency (slow acks), close (CloseStreamSignal, the stream
moves), timeout (the stream ends with error 6002). Without --for, --count or
--probability a fault lasts until cleared. Faults are kept in memory only.`

// runFault implements zbemu fault add|list|clear against a running server.
func runFault(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("%s", faultUsage)}
	}
	fs := flag.NewFlagSet("zbemu fault "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var req fault.Request
	var count int64
	var prob float64
	if args[0] == "add" {
		fs.StringVar((*string)(&req.Kind), "kind", "", "rate-limit, unavailable, latency, close or timeout")
		fs.StringVar(&req.Table, "table", "", "the table (catalog.schema.table) whose requests fail; default every table")
		fs.StringVar(&req.StreamID, "stream", "", "one gRPC stream id instead of a table")
		fs.StringVar(&req.For, "for", "", "how long the fault lasts, e.g. 30s")
		fs.Int64Var(&count, "count", 0, "how many requests (acks, for latency) the fault hits, then it ends")
		fs.Float64Var(&prob, "probability", 0, "the chance that a request is hit, greater than 0 and at most 1")
		fs.StringVar(&req.Latency, "latency", "", "latency: the delay added to every ack, e.g. 200ms")
		fs.StringVar(&req.LatencyMin, "latency-min", "", "latency: the least random delay")
		fs.StringVar(&req.LatencyMax, "latency-max", "", "latency: the largest random delay")
		fs.StringVar(&req.SignalDuration, "signal-duration", "", "close: the duration the CloseStreamSignal announces (default 5s)")
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return usageError{err}
	}
	// Only flags given on the command line are sent, so the server names
	// a bad value ("count": expected a positive integer, received -1).
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "count":
			req.Count = &count
		case "probability":
			req.Probability = &prob
		}
	})
	switch {
	case args[0] == "add" && len(pos) == 0:
		var out fault.Info
		if err := c.Do(ctx, http.MethodPost, "/zbemu/v1/faults", req, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "fault %s added: %s\nclear it: zbemu fault clear %s\n", out.ID, describeFault(out), out.ID)
		return nil
	case args[0] == "list" && len(pos) == 0:
		var out struct {
			Faults []fault.Info `json:"faults"`
		}
		if err := c.Do(ctx, http.MethodGet, "/zbemu/v1/faults", nil, &out); err != nil {
			return err
		}
		if len(out.Faults) == 0 {
			fmt.Fprintln(stdout, "no faults (add one: zbemu fault add --table main.default.events --kind rate-limit --for 30s)")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tTARGET\tUNTIL\tHITS")
		for _, f := range out.Faults {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", f.ID, f.Kind, target(f), until(f), f.Hits)
		}
		return tw.Flush()
	case args[0] == "clear" && len(pos) <= 1:
		path := "/zbemu/v1/faults"
		if len(pos) == 1 {
			path += "/" + url.PathEscape(pos[0])
		}
		var out struct {
			Cleared int `json:"cleared"`
		}
		if err := c.Do(ctx, http.MethodDelete, path, nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d fault(s) cleared\n", out.Cleared)
		return nil
	}
	return usageError{fmt.Errorf("%s", faultUsage)}
}

func target(f fault.Info) string {
	switch {
	case f.StreamID != "":
		return "stream " + f.StreamID
	case f.Table != "":
		return f.Table
	}
	return "every table"
}

func until(f fault.Info) string {
	s := "cleared"
	switch {
	case f.ExpiresAt != "":
		s = f.ExpiresAt
	case f.Remaining != nil:
		s = fmt.Sprintf("%d more hits", *f.Remaining)
	}
	if f.Probability != nil {
		s += fmt.Sprintf(" (p=%g)", *f.Probability)
	}
	return s
}

// describeFault says in a line what a fault does.
func describeFault(f fault.Info) string {
	what := map[fault.Kind]string{
		fault.RateLimit:   "requests are refused with 429 / RESOURCE_EXHAUSTED",
		fault.Unavailable: "requests are refused with 503 / UNAVAILABLE",
		fault.Latency:     "acks are delayed",
		fault.Close:       "gRPC streams get a CloseStreamSignal and must move to a new stream",
		fault.Timeout:     "gRPC streams end with the stream timeout (UNAVAILABLE, error code 6002)",
	}[f.Kind]
	return fmt.Sprintf("%s on %s until %s", what, target(f), until(f))
}
