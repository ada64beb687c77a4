package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/identity"
	"github.com/zbemu/zbemu/schema"
)

// Time travel (https://docs.databricks.com/aws/en/delta/history) is served
// from each table's Delta log (package delta): a reference t VERSION AS OF
// n, t TIMESTAMP AS OF expr or t@v<n> becomes a DuckDB subquery over
// read_parquet of the data files live at that version, with the schema of
// that version. The reference is authorized like a read of t (SELECT), at
// translation time, before the log is looked at, so a principal without
// SELECT learns nothing of the table's versions.
//
// DuckDB reads the files because the Delta folder is one of its allowed
// directories (duckSettings); users' SQL still cannot name a file, and
// the plan check lets read_parquet through only in statements whose time
// travel references the engine replaced (StatementRequest.timeTravels).

// timeTravelHook returns the dialect's TimeTravel callback for the
// statements of req.
func (e *Engine) timeTravelHook(ctx context.Context, req *StatementRequest) func(dialect.TimeTravelRef) (string, error) {
	return func(ref dialect.TimeTravelRef) (string, error) {
		if ref.Multiple {
			return "", withCondition(fmt.Errorf("%w: Cannot specify time travel in multiple formats.", ErrInvalidArgument),
				"DELTA_UNSUPPORTED_TIME_TRAVEL_MULTIPLE_FORMATS", "42613")
		}
		info, dir, err := e.timeTravelTable(ctx, req, ref.Table)
		if err != nil {
			return "", err
		}
		v, err := e.resolveVersion(ctx, dir, ref.Version, ref.Timestamp, ref.Calls, false)
		if err != nil {
			return "", err
		}
		snap, err := delta.Load(dir, v)
		if err != nil {
			return "", deltaError(err, info.FullName)
		}
		rel, err := e.snapshotRelation(ctx, dir, snap)
		if err != nil {
			return "", err
		}
		req.timeTravels++
		return rel, nil
	}
}

// timeTravelTable resolves and authorizes the table of a time travel
// reference and returns its Delta folder, synced with its rows.
func (e *Engine) timeTravelTable(ctx context.Context, req *StatementRequest, name dialect.QName) (TableInfo, string, error) {
	full := strings.ToLower(qualify(req, name))
	if len(name.Parts) == 3 {
		full = strings.ToLower(ucCatalog(name.Parts[0]) + "." + name.Parts[1] + "." + name.Parts[2])
	}
	z, err := e.Authorizer(ctx, req.Identity)
	if err != nil {
		return TableInfo{}, "", err
	}
	if err := z.Require(identity.TypeTable, full, "SELECT"); err != nil {
		return TableInfo{}, "", err
	}
	info, err := e.GetTable(ctx, full)
	if err != nil {
		if strings.HasPrefix(full, systemCatalog+".") {
			return TableInfo{}, "", timeTravelViewError()
		}
		return TableInfo{}, "", err
	}
	if info.TableType == "VIEW" || info.TableType == "MATERIALIZED_VIEW" {
		return TableInfo{}, "", timeTravelViewError()
	}
	dir, err := e.deltaTable(ctx, info)
	return info, dir, err
}

func timeTravelViewError() error {
	return withCondition(fmt.Errorf("%w: Cannot time travel views, subqueries, streams or change data feed queries.", ErrUnsupported),
		"DELTA_UNSUPPORTED_TIME_TRAVEL_VIEWS", "0AKDC")
}

// deltaTable syncs the Delta table of info and returns its folder.
func (e *Engine) deltaTable(ctx context.Context, info TableInfo) (string, error) {
	if _, err := e.syncDelta(ctx, info.CatalogName, info.SchemaName, info.Name); err != nil {
		if errors.Is(err, delta.ErrNotTable) {
			// The folder is the server's business, not the client's.
			return "", withCondition(fmt.Errorf("%w: %s is not a Delta table: zbemu keeps no Delta log for it (is the Delta mirror off?)", delta.ErrNotTable, info.FullName),
				"DELTA_MISSING_DELTA_TABLE", "42P01")
		}
		return "", err
	}
	return delta.TableDir(e.deltaRoot(), info.CatalogName, info.SchemaName, info.Name), nil
}

// resolveVersion turns a time travel clause into a version of the table at
// dir: version is a literal as typed, timestamp a DuckDB expression whose
// function calls are calls. restore selects RESTORE's error classes.
func (e *Engine) resolveVersion(ctx context.Context, dir, version, timestamp string, calls []string, restore bool) (int64, error) {
	if timestamp == "" {
		text := strings.Trim(version, `'"`)
		v, err := strconv.ParseInt(text, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			v = math.MaxInt64 // beyond any log: Load reports the versions there are
		} else if err != nil || v < 0 {
			return 0, withCondition(fmt.Errorf("%w: version %q needs to be a valid begin value: a version number from DESCRIBE HISTORY", ErrInvalidArgument, version),
				"DELTA_TIME_TRAVEL_INVALID_BEGIN_VALUE", "42604")
		}
		if restore {
			if _, err := delta.Load(dir, v); errors.Is(err, delta.ErrVersionNotFound) {
				var ve *delta.VersionError
				errors.As(err, &ve)
				return 0, withCondition(fmt.Errorf("%w: Cannot restore table to version %d. Available versions: [%d, %d].", delta.ErrVersionNotFound, v, ve.Earliest, ve.Latest),
					"DELTA_CANNOT_RESTORE_TABLE_VERSION", "22003")
			}
		}
		return v, nil
	}
	ms, err := e.evalTimestamp(ctx, timestamp, calls)
	if err != nil {
		return 0, err
	}
	v, err := delta.VersionAtTimestamp(dir, ms)
	var te *delta.TimestampError
	if restore && errors.As(err, &te) {
		if te.After {
			return 0, withCondition(fmt.Errorf("%w: Cannot restore table to timestamp (%s) as it is after the latest version available. Please use a timestamp before (%s)",
				delta.ErrTimestampOutOfRange, formatTimestamp(time.UnixMilli(te.Requested), true), formatTimestamp(time.UnixMilli(te.Latest), true)), "DELTA_CANNOT_RESTORE_TIMESTAMP_GREATER", "22003")
		}
		return 0, withCondition(fmt.Errorf("%w: Cannot restore table to timestamp (%s) as it is before the earliest version available. Please use a timestamp after (%s).",
			delta.ErrTimestampOutOfRange, formatTimestamp(time.UnixMilli(te.Requested), true), formatTimestamp(time.UnixMilli(te.Earliest), true)), "DELTA_CANNOT_RESTORE_TIMESTAMP_EARLIER", "22003")
	}
	if err != nil {
		return 0, deltaError(err, "")
	}
	return v, nil
}

// evalTimestamp evaluates the expression of TIMESTAMP AS OF (literals and
// functions of them, no subqueries: the dialect refuses those) to Unix
// milliseconds, sealed like a user's query: its calls are checked by
// name and its plan like any statement's.
func (e *Engine) evalTimestamp(ctx context.Context, expr string, calls []string) (int64, error) {
	if err := checkNames(&dialect.Query{Calls: calls}); err != nil {
		return 0, err
	}
	q := "SELECT epoch_ms(CAST((" + expr + ") AS TIMESTAMPTZ))"
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := checkPlan(ctx, conn, q, nil, false); err != nil {
		return 0, timestampInvalid(expr, err)
	}
	var ms *int64
	if err := conn.QueryRowContext(ctx, q).Scan(&ms); err != nil || ms == nil {
		return 0, timestampInvalid(expr, err)
	}
	return *ms, nil
}

func timestampInvalid(expr string, cause error) error {
	if errors.Is(cause, ErrPermissionDenied) {
		return cause
	}
	return withCondition(fmt.Errorf("%w: The provided timestamp (%s) cannot be converted to a valid timestamp.", ErrInvalidArgument, expr),
		"DELTA_TIMESTAMP_INVALID", "42816")
}

// deltaError gives an error of package delta the error class Databricks
// answers with; name replaces the folder in messages that would show it.
func deltaError(err error, name string) error {
	var te *delta.TimestampError
	if errors.As(err, &te) && !te.After {
		return withCondition(err, "DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION", "42816")
	}
	var nt *delta.NotTableError
	if errors.As(err, &nt) && name != "" {
		return fmt.Errorf("%w: %s", delta.ErrNotTable, name)
	}
	return err
}

// snapshotRelation renders the rows of a snapshot as a parenthesised
// DuckDB query: its columns in schema order with zbemu's types, data
// columns read by physical name from the live files (NULL where no file
// has the column, as for a column added later), partition columns from
// the add actions' partition values.
func (e *Engine) snapshotRelation(ctx context.Context, dir string, snap *delta.Snapshot) (string, error) {
	cols, err := snap.Columns()
	if err != nil {
		return "", deltaError(err, "")
	}
	types := make([]string, len(cols))
	for i, c := range cols {
		t, err := schema.Parse(c.TypeText)
		if err != nil {
			return "", fmt.Errorf("%w: column %s of the Delta table has type %s: %v", ErrUnsupported, c.Name, c.TypeText, err)
		}
		types[i] = t.DuckDB()
	}
	items := make([]string, len(cols))
	if len(snap.Files) == 0 {
		for i, c := range cols {
			items[i] = "CAST(NULL AS " + types[i] + ") AS " + quoteIdent(c.Name)
		}
		return "(SELECT " + strings.Join(items, ", ") + " WHERE false)", nil
	}
	files := make([]string, len(snap.Files))
	for i, f := range snap.Files {
		files[i] = quoteString(filepath.Join(dir, filepath.FromSlash(f.Path)))
	}
	scan := "read_parquet([" + strings.Join(files, ", ") + "], union_by_name = true, hive_partitioning = false, filename = '__zbemu_file')"
	present, err := e.parquetColumns(ctx, scan)
	if err != nil {
		return "", err
	}
	var parts []string
	for i, c := range cols {
		switch {
		case c.Partition:
			v := "pv." + quoteIdent("p"+strconv.Itoa(len(parts)))
			if c.TypeText != "STRING" {
				v = "NULLIF(" + v + ", '')" // an empty partition value is null
			}
			items[i] = "CAST(" + v + " AS " + types[i] + ") AS " + quoteIdent(c.Name)
			parts = append(parts, c.Physical)
		case present[strings.ToLower(c.Physical)]:
			items[i] = "CAST(f." + quoteIdent(c.Physical) + " AS " + types[i] + ") AS " + quoteIdent(c.Name)
		default:
			items[i] = "CAST(NULL AS " + types[i] + ") AS " + quoteIdent(c.Name)
		}
	}
	sel := "(SELECT " + strings.Join(items, ", ") + " FROM " + scan + " AS f"
	if len(parts) == 0 {
		return sel + ")", nil
	}
	rows := make([]string, len(snap.Files))
	for i, f := range snap.Files {
		vals := []string{files[i]}
		for _, p := range parts {
			if v := f.PartitionValues[p]; v != nil {
				vals = append(vals, quoteString(*v))
			} else {
				vals = append(vals, "NULL")
			}
		}
		rows[i] = "(" + strings.Join(vals, ", ") + ")"
	}
	names := []string{"__zbemu_file"}
	for k := range parts {
		names = append(names, quoteIdent("p"+strconv.Itoa(k)))
	}
	return sel + " JOIN (VALUES " + strings.Join(rows, ", ") + ") AS pv(" + strings.Join(names, ", ") + ") ON f.__zbemu_file = pv.__zbemu_file)", nil
}

// parquetColumns returns the lower-cased column names the files of scan
// have between them.
func (e *Engine) parquetColumns(ctx context.Context, scan string) (map[string]bool, error) {
	rows, err := e.db.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+scan+")")
	if err != nil {
		return nil, fmt.Errorf("read the Delta table's data files: %w", sqlError(err))
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[strings.ToLower(name)] = true
	}
	return out, rows.Err()
}
