package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zbemu/zbemu/schema"
)

// replay applies log entries that some catalog has not applied yet. It runs
// in Open, before the engine reports ready. A backlog of up to one
// materialiser round (Options.FlushRows records) is applied before Open
// returns, so that its quarantined entries and a failing store show at
// start-up. A larger one (after kill -9 at full speed the backlog may hold
// up to MaxBacklogRecords) would keep start-up waiting for seconds of
// DuckDB appends: its entries are queued to the materialiser like freshly
// acknowledged ones and applied in the background, in index order before
// anything new, and decoded only then. Either way every query waits until
// they are queryable (Sync), so the first query after a restart sees every
// record acknowledged before the crash.
func (e *Engine) replay(ctx context.Context) error {
	l := e.ilog
	if l.seg == nil {
		return nil
	}
	// Per-catalog watermark and table lookup by id.
	watermark := map[string]uint64{}
	byID := map[string]*tableState{}
	e.mu.RLock()
	for _, c := range e.catalogs {
		var idx uint64
		row := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT coalesce(max(log_index), 0) FROM %s.__zbemu.applied", quoteIdent(c.alias)))
		if err := row.Scan(&idx); err != nil {
			e.mu.RUnlock()
			return fmt.Errorf("read applied index of catalog %s: %w", c.info.Name, err)
		}
		watermark[c.alias] = idx
		for _, t := range c.tables {
			byID[t.cur.Load().meta.TableID] = t
		}
	}
	e.mu.RUnlock()
	var batch []*logEntry
	applied, skipped, records := 0, 0, 0
	take := func(idx uint64, data []byte, p decodedPayload) {
		t, ok := byID[p.tableID]
		if !ok {
			skipped++ // the table was dropped after the records were acknowledged
			return
		}
		tv := t.cur.Load()
		if idx <= watermark[tv.alias] {
			return
		}
		// data is only valid during the read: the entry keeps a copy,
		// which it is decoded from (below) and kept for the quarantine.
		batch = append(batch, &logEntry{index: idx, table: t, tv: tv, streamID: p.streamID, payload: slices.Clone(data)})
		applied++
		records += len(p.records)
	}
	// A previous release's generations first (their indexes come first).
	for gi, g := range l.gens {
		first, err := g.wal.FirstIndex()
		if err != nil {
			return err
		}
		lastLocal, err := g.wal.LastIndex()
		if err != nil {
			return err
		}
		for local := first; local <= lastLocal && first > 0; local++ {
			idx := g.base + local - 1
			data, err := g.wal.Read(local)
			if err != nil {
				return fmt.Errorf("read ingest log entry %d: %w", idx, err)
			}
			p, err := decodePayload(data)
			if err != nil {
				if gi != len(l.gens)-1 {
					return fmt.Errorf("ingest log entry %d in %s is damaged: %w", idx, g.dir, err)
				}
				// Only an unsynced tail can be damaged; it was never acknowledged.
				e.log.Warn("ingest log: dropping damaged tail", "from", idx)
				if err := g.wal.TruncateBack(local - 1); err != nil {
					return err
				}
				break
			}
			take(idx, data, p)
		}
	}
	// The segment log checks every entry's CRC itself: a payload that does
	// not decode is damage, not a torn tail.
	err := l.seg.Read(l.seg.FirstIndex(), func(idx uint64, data []byte) error {
		p, err := decodePayload(data)
		if err != nil {
			return fmt.Errorf("ingest log entry %d is damaged: %w", idx, err)
		}
		take(idx, data, p)
		return nil
	})
	if err != nil {
		return err
	}
	background := records > e.opts.FlushRows
	protoDecs := map[string]*schema.ProtoDecoder{}
	for _, ent := range batch {
		if err := e.replayEntry(ctx, ent, protoDecs, background); err != nil {
			return err
		}
	}
	if background {
		e.log.Info("replayed ingest log; applying its entries in the background, queries wait for them", "entries", applied,
			"records", records, "skipped", skipped)
		e.mat.enqueue(batch)
		return nil
	}
	quarantinedBefore := e.mat.quarantined.Load()
	if len(batch) > 0 {
		e.mat.enqueue(batch)
		e.mat.flush(ctx)
	}
	if q := e.mat.quarantined.Load() - quarantinedBefore; q > 0 {
		e.log.Error("ingest log: entries that cannot be applied were quarantined; see system.zbemu.quarantined_records", "entries", q)
	}
	if applied+skipped > 0 {
		e.log.Info("replayed ingest log", "entries", applied, "skipped", skipped)
	}
	if err := e.mat.degraded.Load(); err != nil {
		// The store fails (disk full, I/O): start degraded, keep the log
		// and let the materialiser retry rather than refuse to start.
		e.log.Error("ingest log: replay could not apply every entry; starting degraded, retrying in the background", "err", *err)
		return nil
	}
	e.mat.applied.Store(l.last)
	// Everything is in DuckDB now: drop the old generations and the
	// segments before the newest (whose name keeps the index monotonic).
	l.dropApplied(l.last)
	return nil
}

// replayEntry prepares an entry read back from the log for the
// materialiser: its rows decoded with today's decoders, or with lazy (or
// for tiny records, see decodeRows) none but the decoder that decodes
// them when they are applied.
func (e *Engine) replayEntry(ctx context.Context, ent *logEntry, protoDecs map[string]*schema.ProtoDecoder, lazy bool) error {
	p, err := decodePayload(ent.payload)
	if err != nil {
		return fmt.Errorf("ingest log entry %d is damaged: %w", ent.index, err)
	}
	if p.format == FormatArrow {
		ent.bad = replayArrow(ent, p)
	} else {
		ent.rows, ent.redecode, ent.bad = e.replayRows(ctx, ent.tv, p, protoDecs, lazy)
		ent.count = len(ent.rows)
		if ent.redecode != nil {
			ent.count = len(p.records)
		}
	}
	if ent.bad != nil {
		// Refused by today's validation (or its descriptor is gone):
		// it goes to the quarantine rather than stop the start.
		ent.bad = fmt.Errorf("cannot decode the logged records again: %w", ent.bad)
		ent.rows, ent.redecode, ent.arrow, ent.count = nil, nil, nil, 0
	}
	for _, r := range p.records {
		ent.bytes += int64(len(r))
	}
	ent.mem = rowsMem(ent.rows, ent.bytes)
	return nil
}

// replayRows decodes the records of a logged entry with today's decoders;
// with lazy, or for tiny records (see decodeRows), it returns no rows but
// the decoder that decodes them again when they are applied.
func (e *Engine) replayRows(ctx context.Context, tv *tableVersion, p decodedPayload, decs map[string]*schema.ProtoDecoder, lazy bool) ([][]any, rowDecoder, error) {
	var proto *schema.ProtoDecoder
	if p.format == FormatProto {
		key := p.descID + "/" + strings.ToLower(tv.meta.TableID)
		proto = decs[key]
		if proto == nil {
			desc, err := e.ids.Descriptor(ctx, p.descID)
			if err != nil {
				return nil, nil, err
			}
			if proto, err = e.replayProtoDecoder(ctx, tv, desc); err != nil {
				return nil, nil, err
			}
			decs[key] = proto
		}
	}
	var dec rowDecoder = tv.jsonDec
	if proto != nil {
		dec = proto
	}
	if len(tv.defaults) > 0 {
		// DEFAULTs were applied when the records were accepted; not the
		// CHECK constraints, which they passed then.
		dec = &ruleDecoder{dec: dec, defaults: tv.defaults, json: proto == nil}
	}
	if lazy {
		return nil, dec, nil
	}
	rows, _, _, _, err := decodeRows(len(tv.cols), p.records, dec, nil)
	if err != nil || rows != nil {
		return rows, nil, err
	}
	return nil, dec, nil
}

// replayProtoDecoder builds the decoder for logged protobuf records. A
// stream opened before an ALTER COLUMN ... TYPE goes on sending the old
// type, which the widened column's descriptor check refuses; its records
// are decoded with the column types from before the change (the newest
// changes are undone one at a time until the descriptor fits), and the
// materializer then widens their values as it does for the live stream.
func (e *Engine) replayProtoDecoder(ctx context.Context, tv *tableVersion, desc []byte) (*schema.ProtoDecoder, error) {
	dec, err := schema.NewProtoDecoder(decoderColumns(tv.meta, tv.cols), desc)
	if err == nil {
		return dec, nil
	}
	hist, herr := e.history(ctx, tv.alias, tv.meta.TableID)
	if herr != nil {
		return nil, errors.Join(err, herr)
	}
	cols := slices.Clone(tv.cols)
	for _, h := range hist {
		var change struct {
			Column   string `json:"column"`
			FromType string `json:"fromType"`
		}
		if h.Operation != "CHANGE COLUMN" || json.Unmarshal([]byte(h.Parameters), &change) != nil || change.FromType == "" {
			continue // not a type change (e.g. a comment)
		}
		from, perr := schema.Parse(change.FromType)
		i := slices.IndexFunc(cols, func(c schema.Column) bool { return strings.EqualFold(c.Name, change.Column) })
		if perr != nil || i < 0 {
			continue
		}
		cols[i].Type = from
		if dec, derr := schema.NewProtoDecoder(cols, desc); derr == nil {
			return dec, nil
		}
	}
	return nil, err
}
