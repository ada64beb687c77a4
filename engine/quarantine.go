package engine

import (
	"context"
	"encoding/base64"
	"fmt"
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
