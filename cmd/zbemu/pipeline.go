package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

const pipelineUsage = `usage:
  zbemu pipeline run FILE.sql... --catalog C --schema S [--name N] [--full-refresh]
  zbemu pipeline create NAME FILE.sql... --catalog C --schema S [--continuous] [--development]
  zbemu pipeline start ID [--full-refresh] [--wait]
  zbemu pipeline stop ID
  zbemu pipeline status [ID]
  zbemu pipeline events ID [--max N]
  zbemu pipeline delete ID
run creates the pipeline of those files (or reuses the one of that name),
runs one triggered update, prints its progress and a summary per dataset,
and fails when the update fails. Files are Lakeflow Declarative Pipelines
SQL (CREATE OR REFRESH STREAMING TABLE / MATERIALIZED VIEW ...).`

// Wire shapes of the Pipelines API, as much as the CLI reads.
type (
	pipelineLibrary struct {
		File *struct {
			Path string `json:"path"`
		} `json:"file,omitempty"`
	}
	pipelineSpec struct {
		Name       string            `json:"name"`
		Catalog    string            `json:"catalog"`
		Schema     string            `json:"schema"`
		Libraries  []pipelineLibrary `json:"libraries"`
		Continuous bool              `json:"continuous"`
		Dev        bool              `json:"development"`
	}
	pipelineStatus struct {
		PipelineID    string `json:"pipeline_id"`
		Name          string `json:"name"`
		State         string `json:"state"`
		Creator       string `json:"creator_user_name"`
		LatestUpdates []struct {
			UpdateID     string `json:"update_id"`
			State        string `json:"state"`
			CreationTime string `json:"creation_time"`
		} `json:"latest_updates"`
		Spec *pipelineSpec `json:"spec"`
	}
	pipelineFlow struct {
		Dataset      string `json:"dataset"`
		Kind         string `json:"kind"`
		Status       string `json:"status"`
		RowsIn       int64  `json:"rows_in"`
		RowsWritten  int64  `json:"rows_written"`
		Expectations []struct {
			Name   string `json:"name"`
			Action string `json:"action"`
			Passed int64  `json:"passed_records"`
			Failed int64  `json:"failed_records"`
		} `json:"expectations"`
	}
	pipelineUpdate struct {
		UpdateID    string         `json:"update_id"`
		State       string         `json:"state"`
		FullRefresh bool           `json:"full_refresh"`
		Error       string         `json:"zbemu_error"`
		Flows       []pipelineFlow `json:"zbemu_flows"`
	}
	pipelineEvent struct {
		Timestamp string `json:"timestamp"`
		Level     string `json:"level"`
		EventType string `json:"event_type"`
		Message   string `json:"message"`
		Origin    struct {
			UpdateID    string `json:"update_id"`
			DatasetName string `json:"dataset_name"`
		} `json:"origin"`
	}
)

// runPipeline implements zbemu pipeline ... against a running server.
func runPipeline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("%s", pipelineUsage)}
	}
	verb := args[0]
	fs := flag.NewFlagSet("zbemu pipeline "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var spec pipelineSpec
	var fullRefresh, wait bool
	var maxEvents int
	switch verb {
	case "run", "create":
		fs.StringVar(&spec.Catalog, "catalog", "main", "catalog the datasets are published to")
		fs.StringVar(&spec.Schema, "schema", "default", "schema the datasets are published to")
		if verb == "run" {
			fs.StringVar(&spec.Name, "name", "", "pipeline name (default: derived from the file names)")
			fs.BoolVar(&fullRefresh, "full-refresh", false, "recompute every dataset from scratch")
		} else {
			fs.BoolVar(&spec.Continuous, "continuous", false, "keep processing new rows until stopped")
			fs.BoolVar(&spec.Dev, "development", false, "development mode")
		}
	case "start":
		fs.BoolVar(&fullRefresh, "full-refresh", false, "recompute every dataset from scratch")
		fs.BoolVar(&wait, "wait", false, "wait for a triggered update to finish and print its summary")
	case "events":
		fs.IntVar(&maxEvents, "max", 25, "how many of the newest events to print")
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return usageError{err}
	}
	p := pipelineCLI{c: c, out: stdout}
	switch {
	case verb == "run" && len(pos) > 0:
		return p.run(ctx, spec, pos, fullRefresh)
	case verb == "create" && len(pos) > 1:
		spec.Name = pos[0]
		id, err := p.create(ctx, spec, pos[1:])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pipeline %s created: %s\nstart it: zbemu pipeline start %s\n", spec.Name, id, id)
		return nil
	case verb == "start" && len(pos) == 1:
		uid, err := p.start(ctx, pos[0], fullRefresh)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "update %s started\n", uid)
		if !wait {
			return nil
		}
		return p.follow(ctx, pos[0], uid)
	case verb == "stop" && len(pos) == 1:
		if err := c.Do(ctx, http.MethodPost, "/api/2.0/pipelines/"+url.PathEscape(pos[0])+"/stop", struct{}{}, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pipeline %s stopped\n", pos[0])
		return nil
	case verb == "status" && len(pos) <= 1:
		return p.status(ctx, pos)
	case verb == "events" && len(pos) == 1:
		return p.events(ctx, pos[0], maxEvents)
	case verb == "delete" && len(pos) == 1:
		if err := c.Do(ctx, http.MethodDelete, "/api/2.0/pipelines/"+url.PathEscape(pos[0]), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pipeline %s deleted\n", pos[0])
		return nil
	}
	return usageError{fmt.Errorf("%s", pipelineUsage)}
}

type pipelineCLI struct {
	c   *client
	out io.Writer
}

// create creates a pipeline of local SQL files. Paths are made absolute
// here: the server resolves relative ones against its own directory.
func (p pipelineCLI) create(ctx context.Context, spec pipelineSpec, files []string) (string, error) {
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return "", err
		}
		lib := pipelineLibrary{}
		lib.File = &struct {
			Path string `json:"path"`
		}{abs}
		spec.Libraries = append(spec.Libraries, lib)
	}
	var out struct {
		PipelineID string `json:"pipeline_id"`
	}
	if err := p.c.Do(ctx, http.MethodPost, "/api/2.0/pipelines", spec, &out); err != nil {
		return "", err
	}
	return out.PipelineID, nil
}

func (p pipelineCLI) start(ctx context.Context, id string, fullRefresh bool) (string, error) {
	var out struct {
		UpdateID string `json:"update_id"`
	}
	err := p.c.Do(ctx, http.MethodPost, "/api/2.0/pipelines/"+url.PathEscape(id)+"/updates", map[string]any{"full_refresh": fullRefresh}, &out)
	return out.UpdateID, err
}

// run is zbemu pipeline run: create or reuse, one triggered update, summary.
func (p pipelineCLI) run(ctx context.Context, spec pipelineSpec, files []string, fullRefresh bool) error {
	if spec.Name == "" {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		}
		spec.Name = strings.Join(names, "+") + " (" + spec.Catalog + "." + spec.Schema + ")"
	}
	var list struct {
		Statuses []pipelineStatus `json:"statuses"`
	}
	if err := p.c.Do(ctx, http.MethodGet, "/api/2.0/pipelines?filter="+url.QueryEscape("name LIKE '"+strings.ReplaceAll(spec.Name, "'", "''")+"'"), nil, &list); err != nil {
		return err
	}
	id := ""
	for _, s := range list.Statuses {
		if s.Name == spec.Name {
			id = s.PipelineID
		}
	}
	if id == "" {
		var err error
		if id, err = p.create(ctx, spec, files); err != nil {
			return err
		}
		fmt.Fprintf(p.out, "pipeline %q created: %s\n", spec.Name, id)
	} else {
		fmt.Fprintf(p.out, "pipeline %q: %s\n", spec.Name, id)
	}
	uid, err := p.start(ctx, id, fullRefresh)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.out, "update %s\n", uid)
	return p.follow(ctx, id, uid)
}

// follow polls an update, printing each state it passes through, then its
// per-dataset summary; it fails when the update does not complete.
func (p pipelineCLI) follow(ctx context.Context, id, uid string) error {
	last := ""
	for {
		var out struct {
			Update pipelineUpdate `json:"update"`
		}
		if err := p.c.Do(ctx, http.MethodGet, "/api/2.0/pipelines/"+url.PathEscape(id)+"/updates/"+url.PathEscape(uid), nil, &out); err != nil {
			return err
		}
		u := out.Update
		if u.State != last {
			fmt.Fprintf(p.out, "  %s\n", u.State)
			last = u.State
		}
		switch u.State {
		case "COMPLETED", "FAILED", "CANCELED":
			printFlows(p.out, u.Flows)
			if u.State != "COMPLETED" {
				if u.Error != "" {
					return errors.New("update " + strings.ToLower(u.State) + ": " + u.Error)
				}
				return fmt.Errorf("update %s", strings.ToLower(u.State))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printFlows(w io.Writer, flows []pipelineFlow) {
	if len(flows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tTYPE\tSTATUS\tROWS IN\tROWS WRITTEN\tEXPECTATIONS")
	for _, f := range flows {
		var ex []string
		for _, e := range f.Expectations {
			verb := "failed"
			if e.Action == "DROP" {
				verb = "dropped"
			}
			ex = append(ex, fmt.Sprintf("%s: %d passed, %d %s", e.Name, e.Passed, e.Failed, verb))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", f.Dataset, f.Kind, f.Status, f.RowsIn, f.RowsWritten, dash(strings.Join(ex, "; ")))
	}
	tw.Flush()
}

func (p pipelineCLI) status(ctx context.Context, ids []string) error {
	var list []pipelineStatus
	if len(ids) == 1 {
		var one pipelineStatus
		if err := p.c.Do(ctx, http.MethodGet, "/api/2.0/pipelines/"+url.PathEscape(ids[0]), nil, &one); err != nil {
			return err
		}
		list = append(list, one)
	} else {
		var out struct {
			Statuses []pipelineStatus `json:"statuses"`
		}
		if err := p.c.Do(ctx, http.MethodGet, "/api/2.0/pipelines", nil, &out); err != nil {
			return err
		}
		list = out.Statuses
	}
	if len(list) == 0 {
		fmt.Fprintln(p.out, "no pipelines (create one: zbemu pipeline run FILE.sql --catalog C --schema S)")
		return nil
	}
	tw := tabwriter.NewWriter(p.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PIPELINE ID\tNAME\tSTATE\tLATEST UPDATE\tUPDATE STATE")
	for _, s := range list {
		uid, ust := "-", "-"
		if len(s.LatestUpdates) > 0 {
			uid, ust = s.LatestUpdates[0].UpdateID, s.LatestUpdates[0].State
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.PipelineID, s.Name, s.State, uid, ust)
	}
	return tw.Flush()
}

func (p pipelineCLI) events(ctx context.Context, id string, max int) error {
	var out struct {
		Events []pipelineEvent `json:"events"`
	}
	if err := p.c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/2.0/pipelines/%s/events?max_results=%d", url.PathEscape(id), max), nil, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(p.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIMESTAMP\tLEVEL\tEVENT TYPE\tDATASET\tMESSAGE")
	for i := len(out.Events) - 1; i >= 0; i-- {
		e := out.Events[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Timestamp, e.Level, e.EventType, dash(e.Origin.DatasetName), e.Message)
	}
	return tw.Flush()
}
