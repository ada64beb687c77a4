package dialect

// This file declares the statements of Lakeflow Declarative Pipelines (DLT)
// source files: https://docs.databricks.com/aws/en/ldp/developer/sql-ref
// and the legacy LIVE forms old notebooks still use.

// Dataset kinds of CreateDataset.Kind, named as Unity Catalog's table_type
// names them.
const (
	DatasetStreamingTable   = "STREAMING_TABLE"
	DatasetMaterializedView = "MATERIALIZED_VIEW"
	// DatasetView is a pipeline view (CREATE [TEMPORARY] LIVE VIEW,
	// CREATE TEMPORARY VIEW inside a pipeline): computed when read, never
	// stored.
	DatasetView = "VIEW"
)

// Expectation actions (CONSTRAINT name EXPECT (cond) [ON VIOLATION ...]).
const (
	ExpectWarn = "WARN" // no ON VIOLATION: keep the row, count it
	ExpectDrop = "DROP" // ON VIOLATION DROP ROW
	ExpectFail = "FAIL" // ON VIOLATION FAIL UPDATE
)

// Expectation is one CONSTRAINT ... EXPECT clause of a dataset.
type Expectation struct {
	Name string
	// Condition is the boolean expression as written (Databricks SQL);
	// ConditionSQL is it translated for DuckDB.
	Condition, ConditionSQL string
	Action                  string // ExpectWarn, ExpectDrop or ExpectFail
}

// DatasetRef is one relation a dataset's query reads: a table of the
// catalog or another dataset of the same pipeline.
type DatasetRef struct {
	// Name is the name as written with any LIVE. prefix removed.
	Name QName
	// Live is set when the name was written LIVE.x: it must be a dataset
	// of the same pipeline.
	Live bool
	// Stream is set for STREAM(x), STREAM x and STREAM(LIVE.x): the flow
	// reads only rows appended since its last update.
	Stream bool
}

// CreateDataset is a pipeline dataset definition:
//
//	CREATE OR REFRESH STREAMING TABLE | MATERIALIZED VIEW | [TEMPORARY] LIVE TABLE name
//	CREATE [TEMPORARY] LIVE VIEW name
//	  [(column definitions and/or CONSTRAINT name EXPECT (cond) [ON VIOLATION DROP ROW | FAIL UPDATE], ...)]
//	  [COMMENT '...'] [TBLPROPERTIES (...)] [PARTITIONED BY (...) | CLUSTER BY (...)]
//	  AS query
type CreateDataset struct {
	Kind string // DatasetStreamingTable, DatasetMaterializedView or DatasetView
	Name QName
	// Legacy is set for the LIVE TABLE / LIVE VIEW spellings.
	Legacy bool
	// Temporary is set for TEMPORARY LIVE TABLE/VIEW: not published to the
	// catalog.
	Temporary     bool
	Columns       []ColumnDef
	Expectations  []Expectation
	Comment       string
	Properties    map[string]string
	PartitionedBy []string
	ClusterBy     []string
	// Query is the AS query as written; Refs are the relations it reads,
	// in order of appearance.
	Query string
	Refs  []DatasetRef

	// Calls, Qualifiers and Paths list the query's names as Query's
	// fields of the same names do, so that the engine can check a
	// dataset's query as it checks any query (see engine/seal.go).
	Calls, Qualifiers, Paths []string

	// query holds the query's tokens (trivia included) for
	// TranslateQuery, src the statement they index, and spans where each
	// of Refs is written in query.
	query []token
	src   string
	spans []refSpan
}

func (*CreateDataset) statement() {}

// TranslateQuery translates the dataset's query for DuckDB like Translate,
// replacing each reference of Refs (with its STREAM(...) wrapper) by the
// relation SQL resolve returns for it (e.g. a parenthesised subquery over
// the rows a flow has not read yet).
//
// A reference written without an alias gets AS <last part of its name>,
// so that columns qualified by the dataset's name still resolve; resolve
// must therefore return something DuckDB accepts before AS alias (a table
// name or a parenthesised subquery). The first error of resolve is
// returned as is.
func (d *CreateDataset) TranslateQuery(opts TranslateOptions, resolve func(DatasetRef) (string, error)) (string, error) {
	return d.translateQuery(opts, resolve)
}

// EventLogRef is the argument of the event_log table-valued function:
// event_log('<pipeline_id>') or event_log(TABLE(catalog.schema.dataset)).
// Exactly one of PipelineID and Table is set.
type EventLogRef struct {
	PipelineID string
	Table      QName
}
