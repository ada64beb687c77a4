package dialect

import "strings"

// Statement is one parsed statement. The concrete types are the pointer
// types declared in this file (*CreateTable, *Query, ...); switch on them.
type Statement interface {
	statement()
}

// QName is a dotted name such as catalog.schema.table, with quotes removed
// and case preserved as written. It has 1 to 3 parts; fewer parts than the
// securable needs means "in the current catalog/schema", which the engine
// resolves.
type QName struct {
	Parts []string
}

// String renders the name as Databricks SQL, backquoting the parts that
// need it, so that error messages show a name the learner can paste back.
func (q QName) String() string {
	parts := make([]string, len(q.Parts))
	for i, p := range q.Parts {
		parts[i] = quoteBacktick(p)
	}
	return strings.Join(parts, ".")
}

func quoteBacktick(s string) string {
	if isPlainIdentifier(s) {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// ColumnDef is one column of CREATE TABLE or ALTER TABLE ADD COLUMNS.
type ColumnDef struct {
	Name string
	// TypeText is the type exactly as typed, e.g. "DECIMAL(10, 2)" or
	// "STRUCT<a: INT, b: ARRAY<STRING>>"; package schema interprets it.
	TypeText string
	NotNull  bool
	Comment  string
	// Default is the DEFAULT expression as typed, "" without one.
	Default string
}

// Securable is the object of GRANT, REVOKE and SHOW GRANTS.
type Securable struct {
	// Type is "CATALOG", "SCHEMA" or "TABLE" (DATABASE is reported as
	// SCHEMA; a name without a type means TABLE, as in Databricks).
	Type string
	// Name is empty for "ON CATALOG" without a name, which Databricks reads
	// as the current catalog.
	Name QName
}

// CreateCatalog is CREATE CATALOG [IF NOT EXISTS] name [COMMENT '...'].
type CreateCatalog struct {
	Name        string
	IfNotExists bool
	Comment     string
}

// DropCatalog is DROP CATALOG [IF EXISTS] name [RESTRICT | CASCADE].
type DropCatalog struct {
	Name     string
	IfExists bool
	Cascade  bool
}

// CreateSchema is CREATE SCHEMA | DATABASE [IF NOT EXISTS] name
// [COMMENT '...'] [WITH DBPROPERTIES (...)]. Properties is nil when the
// clause is absent.
type CreateSchema struct {
	Name        QName // 1 or 2 parts
	IfNotExists bool
	Comment     string
	Properties  map[string]string
}

// DropSchema is DROP SCHEMA | DATABASE [IF EXISTS] name [RESTRICT | CASCADE].
type DropSchema struct {
	Name     QName // 1 or 2 parts
	IfExists bool
	Cascade  bool
}

// UseCatalog is USE CATALOG name.
type UseCatalog struct {
	Name string
}

// UseSchema is USE [SCHEMA | DATABASE] name; a two-part name also sets the
// catalog.
type UseSchema struct {
	Name QName // 1 or 2 parts
}

// ShowCatalogs is SHOW CATALOGS [[LIKE] 'pattern'].
type ShowCatalogs struct {
	Like string
}

// ShowSchemas is SHOW SCHEMAS | DATABASES [FROM | IN catalog] [[LIKE] 'pattern'].
type ShowSchemas struct {
	Catalog string
	Like    string
}

// ShowTables is SHOW TABLES [FROM | IN schema] [[LIKE] 'pattern'].
type ShowTables struct {
	Schema QName // 0 (current schema), 1 or 2 parts
	Like   string
}

// ShowGrants is SHOW GRANTS [principal] [ON securable]. Securable is nil
// when the ON clause is omitted.
type ShowGrants struct {
	Principal string
	Securable *Securable
}

// DescribeTable is DESCRIBE | DESC [TABLE] [EXTENDED | FORMATTED] name.
type DescribeTable struct {
	Name     QName
	Extended bool
}

// DescribeHistory is DESCRIBE HISTORY name [LIMIT n]; Limit is 0 when
// absent.
type DescribeHistory struct {
	Name  QName
	Limit int
}

// CreateTable is CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name
// [(columns)] [clauses] [[AS] query]. Nil slices and maps mean the clause
// was absent.
type CreateTable struct {
	Name        QName
	IfNotExists bool
	OrReplace   bool
	Columns     []ColumnDef
	// Using is the upper-cased table format ("DELTA"), empty if absent.
	Using         string
	PartitionedBy []string
	// ClusterBy holds the clustering columns, or the single element "AUTO"
	// for CLUSTER BY AUTO. CLUSTER BY NONE leaves it nil.
	ClusterBy  []string
	Comment    string
	Properties map[string]string
	// AsSelect is the query of CREATE TABLE ... AS, translated for DuckDB.
	AsSelect string
	// AsQuery is the same query with the names the sealed-SQL checks read,
	// and AsQueryText the query as written (nil and "" without AS).
	AsQuery     *Query
	AsQueryText string
	// Constraints are the CONSTRAINT c CHECK (...) clauses of the column list.
	Constraints []CheckConstraint
}

// DropTable is DROP TABLE [IF EXISTS] name.
type DropTable struct {
	Name     QName
	IfExists bool
}

// AlterTableAddColumns is ALTER TABLE name ADD COLUMN[S] [(]column, ...[)].
type AlterTableAddColumns struct {
	Name    QName
	Columns []ColumnDef
}

// AlterTableSetProperties is ALTER TABLE name SET TBLPROPERTIES (...).
type AlterTableSetProperties struct {
	Name       QName
	Properties map[string]string
}

// AlterTableUnsetProperties is ALTER TABLE name UNSET TBLPROPERTIES
// [IF EXISTS] (key, ...).
type AlterTableUnsetProperties struct {
	Name     QName
	Keys     []string
	IfExists bool
}

// AlterColumnComment is ALTER TABLE name ALTER | CHANGE [COLUMN] column
// COMMENT '...'.
type AlterColumnComment struct {
	Name    QName
	Column  string
	Comment string
}

// AlterColumnType is ALTER TABLE name ALTER | CHANGE [COLUMN] column TYPE
// type, which Delta allows for type widening.
type AlterColumnType struct {
	Name     QName
	Column   string
	TypeText string
}

// AlterColumnSetTags is ALTER TABLE name ALTER | CHANGE [COLUMN] column
// SET TAGS ('key' [= 'value'], ...) or ... UNSET TAGS (key, ...). For SET,
// Tags holds the tags (a tag written without a value has the value "") and
// Unset is nil; for UNSET, Unset holds the keys and Tags is nil.
type AlterColumnSetTags struct {
	Name   QName
	Column string
	Tags   map[string]string
	Unset  []string
}

// Grant is GRANT privilege, ... ON securable TO principal. Privileges are
// upper case with single spaces ("USE CATALOG", "ALL PRIVILEGES").
type Grant struct {
	Privileges []string
	On         Securable
	Principal  string
}

// Revoke is REVOKE privilege, ... ON securable FROM principal.
type Revoke struct {
	Privileges []string
	On         Securable
	Principal  string
}

// Query is a statement passed through to DuckDB.
type Query struct {
	// SQL is the statement translated for DuckDB (see Translate).
	SQL string
	// Kind is the leading keyword, upper case: SELECT, WITH, VALUES, FROM,
	// INSERT, UPDATE, DELETE or EXPLAIN.
	Kind string
	// Calls are the names the statement calls as functions and
	// Qualifiers the names it uses before a ".", as written (quotes
	// removed), so that the engine can refuse what users may not reach.
	Calls, Qualifiers []string
	// Paths are the strings and names DuckDB would read as file paths
	// ('x.csv' after FROM or JOIN, quoted names with a slash).
	Paths []string
	// Names are the result column names Spark gives the select list of a
	// SELECT, one per item, "" where the item has an alias or DuckDB's
	// name is kept; nil when unknown (a star in the list, not a SELECT).
	// See colnames.go.
	Names []string
}

func (*CreateCatalog) statement()             {}
func (*DropCatalog) statement()               {}
func (*CreateSchema) statement()              {}
func (*DropSchema) statement()                {}
func (*UseCatalog) statement()                {}
func (*UseSchema) statement()                 {}
func (*ShowCatalogs) statement()              {}
func (*ShowSchemas) statement()               {}
func (*ShowTables) statement()                {}
func (*ShowGrants) statement()                {}
func (*DescribeTable) statement()             {}
func (*DescribeHistory) statement()           {}
func (*CreateTable) statement()               {}
func (*DropTable) statement()                 {}
func (*AlterTableAddColumns) statement()      {}
func (*AlterTableSetProperties) statement()   {}
func (*AlterTableUnsetProperties) statement() {}
func (*AlterColumnComment) statement()        {}
func (*AlterColumnType) statement()           {}
func (*AlterColumnSetTags) statement()        {}
func (*Grant) statement()                     {}
func (*Revoke) statement()                    {}
func (*Query) statement()                     {}

// TableChange is a statement that drops or alters an existing table:
// DROP TABLE and every ALTER TABLE form. Unity Catalog lets only the
// table's owner (or a manager) run them.
type TableChange interface {
	Statement
	// ChangedTable is the table's name as written.
	ChangedTable() QName
}

func (s *DropTable) ChangedTable() QName                 { return s.Name }
func (s *AlterTableAddColumns) ChangedTable() QName      { return s.Name }
func (s *AlterTableSetProperties) ChangedTable() QName   { return s.Name }
func (s *AlterTableUnsetProperties) ChangedTable() QName { return s.Name }
func (s *AlterColumnComment) ChangedTable() QName        { return s.Name }
func (s *AlterColumnType) ChangedTable() QName           { return s.Name }
func (s *AlterColumnSetTags) ChangedTable() QName        { return s.Name }
