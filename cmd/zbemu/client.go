package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// client talks to a running zbemu over its public APIs: the server owns
// the DuckDB files, so other tools never open them while it runs.
type client struct {
	url   string
	token string
	http  *http.Client
}

// clientFlags registers the connection flags shared by the client commands.
func clientFlags(fs *flag.FlagSet) *client {
	c := &client{http: &http.Client{Timeout: 10 * time.Minute}}
	def := os.Getenv("ZBEMU_URL")
	if def == "" {
		def = "http://localhost:8765"
	}
	tok := os.Getenv("ZBEMU_TOKEN")
	if tok == "" {
		tok = DefaultConfig().DevToken
	}
	fs.StringVar(&c.url, "url", def, "URL of the running zbemu (env ZBEMU_URL)")
	fs.StringVar(&c.token, "token", tok, "bearer token (env ZBEMU_TOKEN)")
	return c
}

type apiError struct {
	Status    int
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

func (e *apiError) Error() string {
	if e.ErrorCode == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("%s: %s", e.ErrorCode, e.Message)
}

func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.url, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach zbemu at %s (is `zbemu serve` running?): %w", c.url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		ae := &apiError{Status: resp.StatusCode}
		json.Unmarshal(data, ae)
		return ae
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
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
	if err := c.do(ctx, http.MethodPost, "/zbemu/v1/principals", map[string]string{"display_name": fs.Arg(0)}, &out); err != nil {
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
		if err := c.do(ctx, http.MethodPost, "/api/2.0/token/create", map[string]any{"comment": *comment, "lifetime_seconds": int64(lifetime.Seconds())}, &out); err != nil {
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
		if err := c.do(ctx, http.MethodGet, "/api/2.0/token/list", nil, &out); err != nil {
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
		if err := c.do(ctx, http.MethodPost, "/api/2.0/token/delete", map[string]string{"token_id": fs.Arg(0)}, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
	default:
		return usageError{errors.New(tokenUsage)}
	}
	return nil
}
