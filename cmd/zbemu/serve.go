package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/zbemu/zbemu/web"
)

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve runs the stack cfg describes until ctx ends.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	began := time.Now()
	log := newLogger(cfg.LogLevel, stderr)
	restrictUmask()
	st, err := openStack(ctx, cfg, log)
	if err != nil {
		return err
	}
	e, srv, caPath := st.e, st.srv, st.caPath
	startup := time.Since(began)
	log.Info("started", "startup", startup, "addr", srv.Addr())
	printBanner(stdout, cfg, srv.Addr(), caPath, startup)
	if n := e.Quarantined(); n > 0 {
		fmt.Fprintf(stdout, "WARNING: %d ingest log entries could not be applied at start and were quarantined:\n"+
			"  zbemu sql \"SELECT * FROM system.zbemu.quarantined_records\"\n", n)
	}
	if err := e.Health(); err != nil {
		fmt.Fprintf(stdout, "WARNING: started degraded, ingest is refused until this clears by itself: %v\n", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	log.Info("shutting down: finishing open calls, making acknowledged records queryable")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if cerr := st.close(sctx); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

var bannerTmpl = template.Must(template.New("banner").Parse(`
zbemu {{.Version}} — Databricks Zerobus Ingest emulator, ready in {{.Startup}}.

  Web UI             {{.URL}}/
  Workspace URL      {{.URL}}
  Zerobus endpoint   {{.URL}}
  Data directory     {{.Data}}
{{- if .Delta}}
  Delta Lake tables  {{.Delta}}/<catalog>/<schema>/<table>
{{- end}}
  Client id / secret {{.ClientID}} / {{.ClientSecret}}
  Token (PAT)        {{.Token}}
  SQL warehouse id   {{.Warehouse}} (always running)
{{- if .CA}}
  TLS CA             {{.CA}}
    export SSL_CERT_FILE={{.CA}}
{{- end}}
{{- if .Exports}}

zbemu sql, zbemu lab and the lab scripts read ZBEMU_URL (default http://localhost:8765):
{{- range .Exports}}
  export {{.}}
{{- end}}
{{- end}}

Run SQL:   zbemu sql "SHOW TABLES IN main.default"
           curl -s -H "Authorization: Bearer {{.Token}}" {{.URL}}/api/2.0/sql/statements \
             -d '{"statement": "SELECT 1", "warehouse_id": "{{.Warehouse}}"}'
REST:      curl -s -H "Authorization: Bearer {{.Token}}" -H "Content-Type: application/json" \
             {{.URL}}/zerobus/v1/tables/main.default.events/insert -d '[{"id": 1}]'
SDK (Node):
  const sdk = new ZerobusSdk("{{.URL}}", "{{.URL}}");
  const stream = await sdk.createStream({ tableName: "main.default.events" },
      "{{.ClientID}}", "{{.ClientSecret}}", { recordType: RecordType.Json });
  await stream.ingestRecordOffset({ id: 1 }); await stream.close();
SDK (Python):
  sdk = ZerobusSdk("{{.URL}}", "{{.URL}}")
  stream = sdk.create_stream("{{.ClientID}}", "{{.ClientSecret}}", TableProperties("main.default.events"),
                             StreamConfigurationOptions(record_type=RecordType.JSON))
Workshop:  zbemu lab list    (six labs; zbemu lab open N, zbemu lab check N)
If you use an HTTP proxy: export NO_PROXY=localhost,127.0.0.1
`))

// printBanner prints how to connect; startup is how long opening the
// stores, replaying the ingest log and binding the port took.
func printBanner(w io.Writer, cfg Config, addr, ca string, startup time.Duration) {
	scheme := "http"
	if ca != "" {
		scheme = "https"
	}
	host := addr
	if strings.HasPrefix(cfg.Addr, "localhost:") {
		host = "localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	}
	data := cfg.DataDir
	if cfg.Memory {
		data = "(in memory: nothing is written to disk)"
	} else if abs, err := filepath.Abs(data); err == nil {
		data = abs
	}
	token := cfg.DevToken
	if token == "" {
		token = "<create one: zbemu token create>"
	}
	url := fmt.Sprintf("%s://%s", scheme, host)
	deltaDir := ""
	if cfg.Delta && !cfg.Memory {
		deltaDir = filepath.Join(data, "delta")
	}
	bannerTmpl.Execute(w, map[string]any{"Version": version, "URL": url, "Data": data,
		"ClientID": cfg.ClientID, "ClientSecret": cfg.ClientSecret, "Token": token, "CA": ca, "Warehouse": web.WarehouseID,
		"Startup": startup.Round(time.Millisecond).String(), "Delta": deltaDir, "Exports": clientExports(url, cfg.DevToken)})
}

// clientExports are the environment variables that point the client
// commands (zbemu sql, lab, gen, ...) and the Python generators at this
// server, when its address or token differs from their defaults.
func clientExports(url, token string) []string {
	def := DefaultConfig()
	var out []string
	if url != "http://"+def.Addr {
		out = append(out, "ZBEMU_URL="+url)
	}
	if token != "" && token != def.DevToken {
		out = append(out, "ZBEMU_TOKEN="+token)
	}
	return out
}
