package engine

import (
	"database/sql/driver"
	"sync"

	"github.com/zbemu/zbemu/schema"
)

// Decoded rows wait in memory from validation until the materialiser
// appends them, so what they cost must follow the size of the request,
// not records × columns: 10 MB of `{}` records (3 bytes each) on a
// 2,000-column table would otherwise need 3.3 M × 2,000 slots of 16 bytes.
// A row therefore keeps slots only up to its last value present (missing
// trailing columns are NULL, as for columns added after a record was
// accepted), and a row whose few values are far apart keeps just those,
// as a sparseRow. Every value present took at least two bytes of the
// request (a protobuf tag and a one-byte payload; JSON needs more), so a
// row holds at most two slots per value present plus sparseSlack; with
// the slices that point at the records and rows, decoding could cost 16
// bytes per byte of the request plus 112 bytes per record; decodeRows
// caps it at keepFactor × the request's bytes (see below).

// sparseSlack is how many NULL slots a row may carry before it is worth
// storing as a sparseRow; a few keep ordinary, mostly full rows dense.
const sparseSlack = 4

// sparseRow holds the values present of a record with many NULLs before
// its last value. Such a row is stored as []any{sparseRow}; no decoded
// value has this type, so a one-column row cannot be mistaken for it.
type sparseRow []sparseCell

type sparseCell struct {
	col int
	val any
}

// rowDecoder fills a row of one slot per column from a record:
// *schema.JSONDecoder and *schema.ProtoDecoder. An interface rather than a
// method value, which would cost an allocation per request. DecodeWarn
// also collects the record's implausible timestamps (timewarnings.go).
type rowDecoder interface {
	Decode(rec []byte, row []any) error
	DecodeWarn(rec []byte, row []any, warn *[]schema.TimeWarning) error
}

// decodeRows decodes records into compact rows (see above) with dec. On
// error it returns the index of the first bad record. Rows share chunks of
// slots: the first holds up to firstChunkRows rows, the next ones what the
// rows so far predict for the rest of the request, so ordinary requests
// take two buffers for all their rows (from rowsPool and cellsPool, which
// releaseRows gives them back to) and requests of mostly empty rows hardly
// any slots. Rows are kept only while they cost at most keepFactor × the
// request's bytes: past that (tiny records, or values of a byte or two
// each) it validates the rest and returns nil rows, and the caller keeps
// the request's log payload instead (lazy). chunks are the chunks of slots
// the rows point into. Every record is decoded once, with its warnings
// noted in tw (nil: none).
func decodeRows(ncols int, records [][]byte, dec rowDecoder, tw *timeWarnings) (rows, chunks [][]any, size int64, bad int, err error) {
	var total int64
	for _, r := range records {
		total += int64(len(r))
	}
	if int64(len(records))*lazyRowBytes > keepFactor*total {
		i, err := validateRows(ncols, records, 0, dec, tw)
		return nil, nil, total, i, err
	}
	rows = rowsPool.get(len(records))[:len(records)]
	// budget is how many slots (16 bytes) the rows may still take.
	// The first chunk takes at most half, leaving room for sparse rows.
	budget := (keepFactor*total - rowHeaderBytes*int64(len(records))) / 16
	cells := cellsPool.get(int(min(int64(ncols)*int64(min(len(records), firstChunkRows)), budget/2)))
	budget -= int64(cap(cells))
	scratch := scratchRow(ncols)
	defer releaseRow(scratch)
	row := *scratch
	var used int64
	giveUp := func() {
		releaseRows(rows, append(chunks, cells))
		rows, chunks = nil, nil
	}
	for i, r := range records {
		if err := tw.decode(dec, i, r, row); err != nil {
			giveUp()
			return nil, nil, 0, i, err
		}
		size += int64(len(r))
		last, set := 0, 0
		for c, v := range row {
			if v != nil {
				last, set = c+1, set+1
			}
		}
		switch {
		case last == 0:
			// All NULL: nil, which pins no chunk.
		case last <= 2*set+sparseSlack:
			if cap(cells)-len(cells) < last {
				// Slots used per byte so far, for the bytes still to come,
				// but never more than half a slot per byte (see above) nor
				// than the remaining records can fill. If that is past the
				// budget, the rows are not worth keeping.
				remaining := total - size
				predict := min(used*remaining/max(size, 1), remaining/2)
				n := min(int64(ncols)*int64(len(records)-i), int64(last)+predict)
				if n > budget {
					giveUp()
					return validateRest(ncols, records, i, dec, tw, total)
				}
				chunks = append(chunks, cells)
				cells = cellsPool.get(int(n))
				budget -= int64(cap(cells))
			}
			cells = append(cells, row[:last]...)
			rows[i] = cells[len(cells)-last : len(cells) : len(cells)]
			used += int64(last)
		default:
			// A sparseCell is 24 bytes, and the row's []any and the boxed
			// sparseRow 40 more: 2 slots per value and 3.
			if budget -= int64(2*set + 3); budget < 0 {
				giveUp()
				return validateRest(ncols, records, i, dec, tw, total)
			}
			sp := make(sparseRow, 0, set)
			for c, v := range row {
				if v != nil {
					sp = append(sp, sparseCell{c, v})
				}
			}
			rows[i] = []any{sp}
		}
		clear(row[:last])
	}
	return rows, append(chunks, cells), size, 0, nil
}

// validateRest gives up the rows of decodeRows once they exceed its
// budget: records up to i are valid, the rest are validated.
func validateRest(ncols int, records [][]byte, i int, dec rowDecoder, tw *timeWarnings, total int64) ([][]any, [][]any, int64, int, error) {
	j, err := validateRows(ncols, records, i+1, dec, tw)
	if err != nil {
		return nil, nil, 0, j, err
	}
	return nil, nil, total, 0, nil
}

// rowsPool and cellsPool hold the rows slices and the chunks of slots of
// applied requests for new ones (see slicePool).
var (
	rowsPool  slicePool[[]any]
	cellsPool slicePool[any]
)

// releaseRows gives the rows and chunks of decodeRows back to their pools
// once nothing reads them any more.
func releaseRows(rows, chunks [][]any) {
	for _, c := range chunks {
		cellsPool.put(c)
	}
	rowsPool.put(rows)
}

// keepFactor is how many times its bytes a request's decoded rows may
// cost; rowHeaderBytes is what each row costs in the rows slice.
const (
	keepFactor     = 4
	rowHeaderBytes = 24
)

// rowPool holds cleared rows (*[]any) to decode into: one per request
// would cost an allocation, and ncols slots, per request.
var rowPool sync.Pool

// scratchRow returns a cleared row of ncols slots; releaseRow gives it back.
func scratchRow(ncols int) *[]any {
	p, _ := rowPool.Get().(*[]any)
	if p == nil || cap(*p) < ncols {
		r := make([]any, ncols)
		return &r
	}
	*p = (*p)[:ncols]
	return p
}

func releaseRow(p *[]any) {
	clear(*p)
	rowPool.Put(p)
}

// firstChunkRows is how many rows the first chunk of slots holds.
const firstChunkRows = 128

// expandRow writes a row of decodeRows into args, one value per column of
// the table, NULL where the row has none.
func expandRow(args []driver.Value, row []any) {
	if len(row) == 1 {
		if sp, ok := row[0].(sparseRow); ok {
			clear(args)
			for _, c := range sp {
				if c.col < len(args) {
					args[c.col] = c.val
				}
			}
			return
		}
	}
	for i := range args {
		if i < len(row) {
			args[i] = row[i]
		} else {
			args[i] = nil // a column added after the record was accepted, or NULL
		}
	}
}

// Still, the slice headers of rows cost a fixed 24 bytes per record, and
// a row up to sparseSlack NULL slots more: 10 MB of 2-byte `{}` records
// would wait as 80 MB or more of rows. A request whose rows would cost
// more than keepFactor × its bytes is therefore only validated, into one
// reused row, and keeps no rows: its ingest log payload, which waits
// until the entry is applied anyway, is decoded again record by record
// when the materialiser appends it (logEntry.redecode), so its pending
// memory is its payload: its bytes and a length byte or two per record.

// lazyRowBytes is what a decoded row may cost beyond its values: its slice
// header and up to sparseSlack NULL slots.
const lazyRowBytes = rowHeaderBytes + 16*sparseSlack

// validateRows decodes records from index from on with dec into one
// reused row of ncols slots and keeps nothing but their warnings (tw); on
// error it returns the index of the first bad record.
func validateRows(ncols int, records [][]byte, from int, dec rowDecoder, tw *timeWarnings) (int, error) {
	scratch := scratchRow(ncols)
	defer releaseRow(scratch)
	row := *scratch
	for i := from; i < len(records); i++ {
		if err := tw.decode(dec, i, records[i], row); err != nil {
			return i, err
		}
		clear(row)
	}
	return 0, nil
}

// rowsMem estimates what a request's decoded rows keep in memory while they
// wait for the materialiser, for the backlog bound: each row's slice
// header and slots (a sparse row's cells), and its values, counted as size,
// the bytes of the records they were decoded from (a value takes about as
// much as its text: chunked boxes and string bytes).
func rowsMem(rows [][]any, size int64) int64 {
	if rows == nil {
		return 0
	}
	m := size + rowHeaderBytes*int64(len(rows))
	for _, r := range rows {
		if len(r) == 1 {
			if sp, ok := r[0].(sparseRow); ok {
				m += 16 + rowHeaderBytes + 24*int64(len(sp)) // the boxed sparseRow and its cells
				continue
			}
		}
		m += 16 * int64(len(r))
	}
	return m
}
