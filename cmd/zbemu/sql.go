package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zbemu/zbemu/web"
)

// sqlSession runs statements through the Statement Execution API and keeps
// the current catalog and schema, which the API itself does not remember.
type sqlSession struct {
	c               *client
	catalog, schema string
	json            bool
	out             io.Writer
}

func runSQL(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu sql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	s := &sqlSession{c: c, out: stdout}
	fs.BoolVar(&s.json, "json", false, "print the raw Statement API response")
	fs.StringVar(&s.catalog, "catalog", "main", "current catalog")
	fs.StringVar(&s.schema, "schema", "default", "current schema")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return s.run(ctx, strings.Join(fs.Args(), " "))
	}
	return s.repl(ctx, stdin, stderr)
}

func (s *sqlSession) repl(ctx context.Context, stdin io.Reader, stderr io.Writer) error {
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var buf strings.Builder
	prompt := func() {
		if buf.Len() == 0 {
			fmt.Fprintf(stderr, "%s.%s> ", s.catalog, s.schema)
		} else {
			fmt.Fprint(stderr, "   ...> ")
		}
	}
	prompt()
	failed := false
	for sc.Scan() {
		line := sc.Text()
		if buf.Len() == 0 && (strings.TrimSpace(line) == ".quit" || strings.TrimSpace(line) == ".exit") {
			return nil
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if err := s.run(ctx, buf.String()); err != nil {
				fmt.Fprintln(stderr, "Error:", err)
				failed = true
			}
			buf.Reset()
		}
		prompt()
	}
	if strings.TrimSpace(buf.String()) != "" {
		if err := s.run(ctx, buf.String()); err != nil {
			fmt.Fprintln(stderr, "Error:", err)
			failed = true
		}
	}
	fmt.Fprintln(stderr)
	if failed {
		return errors.New("some statements failed")
	}
	return sc.Err()
}

func (s *sqlSession) run(ctx context.Context, stmt string) error {
	stmt = strings.TrimSpace(stmt)
	stmt = strings.TrimSuffix(stmt, ";")
	if stmt == "" {
		return nil
	}
	resp, raw, err := s.c.statement(ctx, map[string]any{"statement": stmt, "catalog": s.catalog, "schema": s.schema})
	if s.json && raw != nil {
		fmt.Fprintln(s.out, string(raw))
	}
	if err != nil {
		return err
	}
	s.trackUse(stmt)
	if !s.json && resp.Manifest != nil && len(resp.Manifest.Schema.Columns) > 0 {
		var names, types []string
		for _, c := range resp.Manifest.Schema.Columns {
			names = append(names, c.Name)
			types = append(types, strings.ToLower(c.TypeText))
		}
		var rows [][]*string
		if resp.Result != nil {
			rows = resp.Result.DataArray
		}
		printTable(s.out, names, types, rows)
	}
	return nil
}

// trackUse follows USE statements so that later statements run in the
// catalog and schema the learner chose.
func (s *sqlSession) trackUse(stmt string) {
	f := strings.Fields(strings.ReplaceAll(stmt, "`", ""))
	if len(f) < 2 || !strings.EqualFold(f[0], "USE") {
		return
	}
	switch {
	case strings.EqualFold(f[1], "CATALOG") && len(f) > 2:
		s.catalog, s.schema = f[2], "default"
		return
	case (strings.EqualFold(f[1], "SCHEMA") || strings.EqualFold(f[1], "DATABASE")) && len(f) > 2:
		f = f[1:]
	}
	parts := strings.Split(f[1], ".")
	if len(parts) == 2 {
		s.catalog, s.schema = parts[0], parts[1]
	} else {
		s.schema = parts[0]
	}
}

// printTable prints a boxed table like the DuckDB shell.
func printTable(w io.Writer, names, types []string, rows [][]*string) {
	cell := func(v *string) string {
		if v == nil {
			return "NULL"
		}
		return strings.ReplaceAll(*v, "\n", `\n`)
	}
	width := make([]int, len(names))
	for i := range names {
		width[i] = max(utf8.RuneCountInString(names[i]), utf8.RuneCountInString(types[i]))
	}
	for _, r := range rows {
		for i, v := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell(v)))
		}
	}
	line := func(l, m, r string) {
		parts := make([]string, len(width))
		for i, n := range width {
			parts[i] = strings.Repeat("─", n+2)
		}
		fmt.Fprintln(w, l+strings.Join(parts, m)+r)
	}
	row := func(vals []string) {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = " " + v + strings.Repeat(" ", width[i]-utf8.RuneCountInString(v)) + " "
		}
		fmt.Fprintln(w, "│"+strings.Join(parts, "│")+"│")
	}
	line("┌", "┬", "┐")
	row(names)
	row(types)
	line("├", "┼", "┤")
	for _, r := range rows {
		vals := make([]string, len(r))
		for i, v := range r {
			vals[i] = cell(v)
		}
		row(vals)
	}
	line("└", "┴", "┘")
	if len(rows) == 1 {
		fmt.Fprintln(w, "1 row")
	} else {
		fmt.Fprintf(w, "%d rows\n", len(rows))
	}
}

// statement runs one SQL statement (req: the Statement Execution API's
// request fields besides warehouse_id and wait_timeout), waits for it and
// returns its response, the last raw body, and an error unless it
// SUCCEEDED.
func (c *client) statement(ctx context.Context, req map[string]any) (web.StatementResponse, json.RawMessage, error) {
	req["warehouse_id"], req["wait_timeout"] = "zbemu", "50s"
	var resp web.StatementResponse
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodPost, "/api/2.0/sql/statements", req, &raw); err != nil {
		return resp, nil, err
	}
	json.Unmarshal(raw, &resp)
	for resp.Status.State == "PENDING" || resp.Status.State == "RUNNING" {
		time.Sleep(200 * time.Millisecond)
		if err := c.Do(ctx, http.MethodGet, "/api/2.0/sql/statements/"+resp.StatementID, nil, &raw); err != nil {
			return resp, nil, err
		}
		resp = web.StatementResponse{}
		json.Unmarshal(raw, &resp)
	}
	if resp.Status.State != "SUCCEEDED" {
		if resp.Status.Error != nil {
			return resp, raw, fmt.Errorf("%s: %s", resp.Status.Error.ErrorCode, resp.Status.Error.Message)
		}
		return resp, raw, fmt.Errorf("statement %s", resp.Status.State)
	}
	return resp, raw, nil
}
