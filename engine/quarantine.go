package engine

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The quarantine holds acknowledged records that DuckDB refused to store,
// one row per record, in <catalog>.__zbemu.quarantine of the catalog the
// records were meant for. A quarantine row is written in the transaction
// that moves the catalog's applied index past its entry, so a record is
// either in its table, in the quarantine or still in the ingest log: never
// lost, never twice. system.zbemu.quarantined_records reads them.

// quarantine writes the records of ent, which failed with ent.bad, on the
// materialiser's connection inside its open transaction.
func (m *materializer) quarantine(ctx context.Context, alias string, ent *logEntry, now time.Time) error {
	var records [][]byte
	if ent.payload != nil {
		p, err := decodePayload(ent.payload)
		if err != nil {
			return fmt.Errorf("quarantine entry %d: %w", ent.index, err)
		}
		records = p.records
	}
	if len(records) == 0 {
		records = [][]byte{nil} // keep the reason even without the records
	}
	q := fmt.Sprintf("INSERT INTO %s.__zbemu.quarantine VALUES (?, ?, ?, ?, ?, ?, ?)", quoteIdent(alias))
	reason := ent.bad.Error()
	for i, r := range records {
		if _, err := m.conn.ExecContext(ctx, q, now, ent.tv.meta.fullName(), ent.streamID, ent.index, i, reason, quarantineRaw(r)); err != nil {
			return fmt.Errorf("quarantine entry %d: %w", ent.index, err)
		}
	}
	return nil
}

// quarantineRaw is the record as the quarantine shows it: its text when it
// is UTF-8 (JSON), else base64 (protobuf), cut to MaxRejectedRaw bytes as
// system.zbemu.rejected_records is.
func quarantineRaw(r []byte) string {
	if len(r) > MaxRejectedRaw {
		r = r[:MaxRejectedRaw]
	}
	if utf8.Valid(r) {
		return string(r)
	}
	return "base64:" + base64.StdEncoding.EncodeToString(r)
}

// quarantineTableDef describes system.zbemu.quarantined_records for
// DESCRIBE. It is a view over the catalogs' DuckDB files, not a table of
// the SystemTables store, so it is not in systemTableDefs.
var quarantineTableDef = SystemTableDef{Schema: "zbemu", Name: "quarantined_records", Columns: cols(
	"time", "TIMESTAMP", "table_name", "STRING", "stream_id", "STRING", "log_index", "BIGINT",
	"record_index", "BIGINT", "reason", "STRING", "raw", "STRING")}

// quarantineViewColumns are the columns of system.zbemu.quarantined_records.
const quarantineViewColumns = "time, table_name, stream_id, CAST(log_index AS BIGINT) AS log_index, record_index, reason, raw"

// refreshQuarantineView points system.zbemu.quarantined_records at the
// quarantine table of every catalog. It runs whenever the set of catalogs
// changes (the caller holds e.mu for writing, or Open runs).
func (e *Engine) refreshQuarantineView(ctx context.Context) error {
	parts := make([]string, 0, len(e.catalogs))
	for _, c := range e.catalogs {
		parts = append(parts, fmt.Sprintf("SELECT %s FROM %s.__zbemu.quarantine", quarantineViewColumns, quoteIdent(c.alias)))
	}
	slices.Sort(parts)
	body := strings.Join(parts, " UNION ALL ")
	if body == "" {
		body = "SELECT NULL::TIMESTAMPTZ AS time, NULL::VARCHAR AS table_name, NULL::VARCHAR AS stream_id, NULL::BIGINT AS log_index, " +
			"NULL::BIGINT AS record_index, NULL::VARCHAR AS reason, NULL::VARCHAR AS raw WHERE false"
	}
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s.zbemu.quarantined_records AS %s", quoteIdent(duckAlias(systemCatalog)), body)
	if _, err := e.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create system.zbemu.quarantined_records: %w", err)
	}
	return nil
}
