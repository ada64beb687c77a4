package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
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

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	comment := fs.String("comment", "created by zbemu token create", "comment stored with the token")
	lifetime := fs.Duration("lifetime", 0, "token lifetime, at most 17520h (730 days); 0 = 730 days")
	if len(args) == 0 || args[0] != "create" {
		return usageError{fmt.Errorf("usage: zbemu token create [--comment C] [--lifetime 24h]")}
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	var out struct {
		Token string `json:"token_value"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/2.0/token/create", map[string]any{"comment": *comment, "lifetime_seconds": int64(lifetime.Seconds())}, &out); err != nil {
		return err
	}
	fmt.Fprintln(stdout, out.Token)
	return nil
}
