package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/zbemu/zbemu/fixtures/zbclient"
)

// client talks to a running zbemu over its public APIs: the server owns
// the DuckDB files, so other tools never open them while it runs.
type client struct{ zbclient.REST }

// clientFlags registers the connection flags shared by the client commands.
func clientFlags(fs *flag.FlagSet) *client {
	c := &client{zbclient.REST{HTTP: &http.Client{Timeout: 10 * time.Minute}}}
	def := os.Getenv("ZBEMU_URL")
	if def == "" {
		def = "http://localhost:8765"
	}
	tok := os.Getenv("ZBEMU_TOKEN")
	if tok == "" {
		tok = DefaultConfig().DevToken
	}
	fs.StringVar(&c.URL, "url", def, "URL of the running zbemu (env ZBEMU_URL)")
	fs.StringVar(&c.Token, "token", tok, "bearer token (env ZBEMU_TOKEN)")
	return c
}

func runPrincipal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu principal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	if len(args) == 0 || args[0] != "create" {
		return usageError{fmt.Errorf("usage: zbemu principal create NAME")}
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("usage: zbemu principal create NAME")}
	}
	var out struct {
		ID     string `json:"application_id"`
		Name   string `json:"display_name"`
		Secret string `json:"secret"`
	}
	if err := c.Do(ctx, http.MethodPost, "/zbemu/v1/principals", map[string]string{"display_name": fs.Arg(0)}, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "client_id:     %s\nclient_secret: %s\n\nGrant it access, e.g.:\n  zbemu sql \"GRANT USE CATALOG ON CATALOG main TO \\`%s\\`\"\n  zbemu sql \"GRANT USE SCHEMA ON SCHEMA main.default TO \\`%s\\`\"\n  zbemu sql \"GRANT SELECT, MODIFY ON TABLE main.default.events TO \\`%s\\`\"\n",
		out.ID, out.Secret, out.ID, out.ID, out.ID)
	return nil
}

const tokenUsage = "usage: zbemu token create [--comment C] [--lifetime 24h] | zbemu token list | zbemu token revoke TOKEN_ID"

// runToken manages the caller's personal access tokens through the token
// API: create, list (GET /api/2.0/token/list) and revoke
// (POST /api/2.0/token/delete).
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	comment := fs.String("comment", "created by zbemu token create", "comment stored with the token (create)")
	lifetime := fs.Duration("lifetime", 0, "token lifetime, at most 17520h (730 days); 0 = 730 days (create)")
	if len(args) == 0 {
		return usageError{errors.New(tokenUsage)}
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	switch {
	case args[0] == "create" && fs.NArg() == 0:
		var out struct {
			Token string `json:"token_value"`
		}
		if err := c.Do(ctx, http.MethodPost, "/api/2.0/token/create", map[string]any{"comment": *comment, "lifetime_seconds": int64(lifetime.Seconds())}, &out); err != nil {
			return err
		}
		fmt.Fprintln(stdout, out.Token)
	case args[0] == "list" && fs.NArg() == 0:
		var out struct {
			Tokens []struct {
				ID        string `json:"token_id"`
				Comment   string `json:"comment"`
				CreatedAt int64  `json:"creation_time"`
				ExpiresAt int64  `json:"expiry_time"`
			} `json:"token_infos"`
		}
		if err := c.Do(ctx, http.MethodGet, "/api/2.0/token/list", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TOKEN_ID\tCREATED\tEXPIRES\tCOMMENT")
		for _, t := range out.Tokens {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, time.UnixMilli(t.CreatedAt).UTC().Format(time.RFC3339),
				time.UnixMilli(t.ExpiresAt).UTC().Format(time.RFC3339), t.Comment)
		}
		return tw.Flush()
	case args[0] == "revoke" && fs.NArg() == 1:
		if err := c.Do(ctx, http.MethodPost, "/api/2.0/token/delete", map[string]string{"token_id": fs.Arg(0)}, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
	default:
		return usageError{errors.New(tokenUsage)}
	}
	return nil
}
