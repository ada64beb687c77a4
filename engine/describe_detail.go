package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/schema"
)

// This file answers the statements that show one table's Delta metadata:
// DESCRIBE DETAIL, SHOW TBLPROPERTIES and SHOW CREATE TABLE. They are
// authorized like DESCRIBE TABLE (the table must be visible to the
// principal: a grant on it or ownership, and USE on its containers).

// deltaProtocol is the Delta protocol zbemu reports for a table: reader 1 /
// writer 2 with the legacy features appendOnly and invariants, as
// Databricks creates a table without table features; any feature a
// property turns on (delta.feature.<name> = 'supported', or the property
// that enables it) raises it to 3 / 7, the table-features protocol
// (https://docs.databricks.com/aws/en/delta/feature-compatibility).
func deltaProtocol(t TableInfo) (reader, writer int, features []string) {
	features = []string{"appendOnly", "invariants"}
	add := func(f string) {
		for _, have := range features {
			if have == f {
				return
			}
		}
		features = append(features, f)
	}
	for k, v := range t.Properties {
		switch {
		case strings.HasPrefix(k, "delta.feature."):
			add(strings.TrimPrefix(k, "delta.feature."))
		case strings.HasPrefix(k, "delta.constraints."):
			// Delta keeps CHECK constraints as these properties.
			add("checkConstraints")
		case k == "delta.enableTypeWidening" && strings.EqualFold(v, "true"):
			add("typeWidening")
		case k == "delta.enableChangeDataFeed" && strings.EqualFold(v, "true"):
			add("changeDataFeed")
		case k == "delta.enableDeletionVectors" && strings.EqualFold(v, "true"):
			add("deletionVectors")
		case k == "delta.columnMapping.mode" && !strings.EqualFold(v, "none"):
			add("columnMapping")
		}
	}
	if len(t.ClusterColumns) > 0 {
		add("clustering")
		add("domainMetadata")
	}
	if len(features) == 2 {
		return 1, 2, features
	}
	sort.Strings(features[2:])
	return 3, 7, features
}

func jsonCell(v any) *string {
	b, _ := json.Marshal(v)
	return strp(string(b))
}

// describeDetail answers DESCRIBE DETAIL with Databricks' columns
// (https://docs.databricks.com/aws/en/tables/operations/table-details). The
// rows live in DuckDB, not in Delta files, so numFiles and sizeInBytes are 0.
func (e *Engine) describeDetail(ctx context.Context, full string) (*Result, error) {
	t, err := e.GetTable(ctx, full)
	if err != nil {
		return nil, err
	}
	if t.TableType == tableTypeView {
		return nil, fmt.Errorf("%w: DESCRIBE DETAIL is for tables; %s is a view (use DESCRIBE TABLE EXTENDED)", ErrInvalidArgument, full)
	}
	reader, writer, features := deltaProtocol(t)
	col := func(name, typeName, typeText string) ResultColumn {
		return ResultColumn{Name: name, TypeName: typeName, TypeText: typeText}
	}
	res := &Result{Columns: []ResultColumn{
		col("format", "STRING", "STRING"), col("id", "STRING", "STRING"), col("name", "STRING", "STRING"),
		col("description", "STRING", "STRING"), col("location", "STRING", "STRING"),
		col("createdAt", "TIMESTAMP", "TIMESTAMP"), col("lastModified", "TIMESTAMP", "TIMESTAMP"),
		col("partitionColumns", "ARRAY", "ARRAY<STRING>"), col("clusteringColumns", "ARRAY", "ARRAY<STRING>"),
		col("numFiles", "LONG", "BIGINT"), col("sizeInBytes", "LONG", "BIGINT"),
		col("properties", "MAP", "MAP<STRING, STRING>"), col("minReaderVersion", "INT", "INT"),
		col("minWriterVersion", "INT", "INT"), col("tableFeatures", "ARRAY", "ARRAY<STRING>"),
		col("statistics", "MAP", "MAP<STRING, BIGINT>"),
	}}
	var desc *string
	if t.Comment != "" {
		desc = strp(t.Comment)
	}
	props := t.Properties
	if props == nil {
		props = map[string]string{}
	}
	ts := func(ms int64) *string { return strp(formatTimestamp(time.UnixMilli(ms), true)) }
	list := func(l []string) *string {
		if l == nil {
			l = []string{}
		}
		return jsonCell(l)
	}
	res.Rows = [][]*string{{strp("delta"), strp(t.TableID), strp(t.FullName), desc, strp(t.StorageLocation),
		ts(t.CreatedAt), ts(t.UpdatedAt), list(t.PartitionColumns), list(t.ClusterColumns), strp("0"), strp("0"),
		jsonCell(props), strp(strconv.Itoa(reader)), strp(strconv.Itoa(writer)), list(features),
		strp(`{"numRowsDeletedByDeletionVectors":0,"numDeletionVectors":0}`)}}
	return res, nil
}

// tblProperties lists what SHOW TBLPROPERTIES shows: the table's
// properties and the Delta protocol versions, sorted by key.
func tblProperties(t TableInfo) [][2]string {
	reader, writer, _ := deltaProtocol(t)
	props := map[string]string{"delta.minReaderVersion": strconv.Itoa(reader), "delta.minWriterVersion": strconv.Itoa(writer)}
	for k, v := range t.Properties {
		props[k] = v
	}
	out := make([][2]string, 0, len(props))
	for k, v := range props {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// showTblProperties answers SHOW TBLPROPERTIES name [(key)]. A missing key
// is a row whose value says so, as Databricks answers it.
func (e *Engine) showTblProperties(ctx context.Context, full, key string) (*Result, error) {
	t, err := e.GetTable(ctx, full)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: stringCols("key", "value")}
	for _, kv := range tblProperties(t) {
		if key == "" || kv[0] == key {
			res.Rows = append(res.Rows, []*string{strp(kv[0]), strp(kv[1])})
		}
	}
	if key != "" && len(res.Rows) == 0 {
		res.Rows = [][]*string{{strp(key), strp("Table " + t.FullName + " does not have property: " + key)}}
	}
	return res, nil
}

// showCreateTable answers SHOW CREATE TABLE with the DDL Databricks prints
// for the table's current version: columns with types, NOT NULL and
// comments, USING delta, partitioning or clustering, the comment and the
// properties (with the protocol versions). Pipeline datasets print as
// CREATE STREAMING TABLE / CREATE MATERIALIZED VIEW.
func (e *Engine) showCreateTable(ctx context.Context, full string) (*Result, error) {
	t, err := e.GetTable(ctx, full)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if t.TableType == tableTypeView {
		return showCreateView(t), nil
	}
	kind := "TABLE"
	switch t.TableType {
	case "STREAMING_TABLE":
		kind = "STREAMING TABLE"
	case "MATERIALIZED_VIEW":
		kind = "MATERIALIZED VIEW"
	}
	b.WriteString("CREATE " + kind + " " + ident(t.CatalogName) + "." + ident(t.SchemaName) + "." + ident(t.Name) + " (\n")
	for i, c := range t.Columns {
		b.WriteString("  " + ident(c.Name) + " " + c.DataType)
		if !c.Nullable {
			b.WriteString(" NOT NULL")
		}
		if c.Comment != "" {
			b.WriteString(" COMMENT " + schema.QuoteLiteral(c.Comment))
		}
		if i < len(t.Columns)-1 {
			b.WriteString(",\n")
		}
	}
	b.WriteString(")\nUSING delta\n")
	names := func(l []string) string {
		q := make([]string, len(l))
		for i, n := range l {
			q[i] = ident(n)
		}
		return strings.Join(q, ", ")
	}
	if len(t.PartitionColumns) > 0 {
		b.WriteString("PARTITIONED BY (" + names(t.PartitionColumns) + ")\n")
	}
	if len(t.ClusterColumns) > 0 {
		b.WriteString("CLUSTER BY (" + names(t.ClusterColumns) + ")\n")
	}
	if t.Comment != "" {
		b.WriteString("COMMENT " + schema.QuoteLiteral(t.Comment) + "\n")
	}
	b.WriteString("TBLPROPERTIES (")
	for i, kv := range tblProperties(t) {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  " + schema.QuoteLiteral(kv[0]) + " = " + schema.QuoteLiteral(kv[1]))
	}
	b.WriteString(")\n")
	return &Result{Columns: stringCols("createtab_stmt"), Rows: [][]*string{{strp(b.String())}}}, nil
}

// ident renders a name as Databricks SQL, in backquotes when it needs them.
func ident(name string) string { return dialect.QName{Parts: []string{name}}.String() }

// showCreateView prints a view as Databricks does: its columns with their
// comments, comment, properties and query as written.
func showCreateView(t TableInfo) *Result {
	var b strings.Builder
	b.WriteString("CREATE VIEW " + ident(t.CatalogName) + "." + ident(t.SchemaName) + "." + ident(t.Name) + " (\n")
	for i, c := range t.Columns {
		b.WriteString("  " + ident(c.Name))
		if c.Comment != "" {
			b.WriteString(" COMMENT " + schema.QuoteLiteral(c.Comment))
		}
		if i < len(t.Columns)-1 {
			b.WriteString(",\n")
		}
	}
	b.WriteString(")\n")
	if t.Comment != "" {
		b.WriteString("COMMENT " + schema.QuoteLiteral(t.Comment) + "\n")
	}
	if len(t.Properties) > 0 {
		keys := make([]string, 0, len(t.Properties))
		for k := range t.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("TBLPROPERTIES (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  " + schema.QuoteLiteral(k) + " = " + schema.QuoteLiteral(t.Properties[k]))
		}
		b.WriteString(")\n")
	}
	b.WriteString("AS " + t.ViewDefinition + "\n")
	return &Result{Columns: stringCols("createtab_stmt"), Rows: [][]*string{{strp(b.String())}}}
}
