package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

const alertUsage = `usage:
  zbemu alert create NAME --sql "SELECT ..." [--every 30s] [--webhook URL]
  zbemu alert list
  zbemu alert delete NAME
An alert is TRIGGERED while its query returns rows; each change of state is
logged by the server, recorded in system.zbemu.alert_events and posted to the webhook.`

// alertWire is an alert as /zbemu/v1/alerts sends it.
type alertWire struct {
	Name          string `json:"name"`
	SQL           string `json:"sql"`
	Every         string `json:"every,omitempty"`
	WebhookURL    string `json:"webhook_url,omitempty"`
	State         string `json:"state,omitempty"`
	LastEvaluated string `json:"last_evaluated,omitempty"`
	LastError     string `json:"last_error,omitempty"`
}

// runAlert implements zbemu alert create|list|delete against a running server.
func runAlert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("%s", alertUsage)}
	}
	fs := flag.NewFlagSet("zbemu alert "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var rule alertWire
	var every time.Duration
	if args[0] == "create" {
		fs.StringVar(&rule.SQL, "sql", "", "query over the system tables (or any table); rows returned = triggered")
		fs.DurationVar(&every, "every", 0, "evaluation interval (default: the server's --alert-interval, 30s)")
		fs.StringVar(&rule.WebhookURL, "webhook", "", "URL that receives a JSON POST on every change of state")
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return usageError{err}
	}
	switch {
	case args[0] == "create" && len(pos) == 1:
		rule.Name = pos[0]
		if every > 0 {
			rule.Every = every.String()
		}
		var out alertWire
		if err := c.Do(ctx, http.MethodPost, "/zbemu/v1/alerts", rule, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "alert %s created: evaluated every %s", out.Name, out.Every)
		if out.WebhookURL != "" {
			fmt.Fprintf(stdout, ", posts to %s", out.WebhookURL)
		}
		fmt.Fprintf(stdout, "\nsee its events: zbemu sql \"SELECT * FROM system.zbemu.alert_events WHERE alert_name = '%s'\"\n", out.Name)
		return nil
	case args[0] == "list" && len(pos) == 0:
		var out struct {
			Alerts []alertWire `json:"alerts"`
		}
		if err := c.Do(ctx, http.MethodGet, "/zbemu/v1/alerts", nil, &out); err != nil {
			return err
		}
		if len(out.Alerts) == 0 {
			fmt.Fprintln(stdout, "no alerts (create one: zbemu alert create NAME --sql \"...\")")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tEVERY\tLAST EVALUATED\tWEBHOOK\tSQL")
		for _, a := range out.Alerts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.State, a.Every, dash(a.LastEvaluated), dash(a.WebhookURL), strings.Join(strings.Fields(a.SQL), " "))
			if a.LastError != "" {
				fmt.Fprintf(tw, "\terror: %s\t\t\t\t\n", a.LastError)
			}
		}
		return tw.Flush()
	case args[0] == "delete" && len(pos) == 1:
		if err := c.Do(ctx, http.MethodDelete, "/zbemu/v1/alerts/"+url.PathEscape(pos[0]), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "alert %s deleted\n", pos[0])
		return nil
	}
	return usageError{fmt.Errorf("%s", alertUsage)}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseInterleaved parses flags that may come before or after positional
// arguments (zbemu alert create NAME --sql ...), returning the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
