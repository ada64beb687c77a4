package dialect

import (
	"slices"
	"strings"
)

// create dispatches CREATE [OR REPLACE] [modifiers] CATALOG|SCHEMA|TABLE.
func (p *parser) create() (Statement, error) {
	p.next()
	if p.peek().isKw("OR") && p.peekN(1).isKw("REFRESH") {
		p.pos += 2
		return p.createDataset(true)
	}
	if p.isDatasetStart() {
		return p.createDataset(false)
	}
	orReplace := false
	if p.acceptKw("OR") {
		if err := p.expectKw("REPLACE", "after CREATE OR (or REFRESH, for a pipeline dataset)"); err != nil {
			return nil, err
		}
		orReplace = true
	}
	var mods []string
	for createModifiers[p.word(0)] {
		mods = append(mods, p.word(0))
		p.next()
	}
	obj := p.word(0)
	if obj == "" {
		return nil, p.errAt(p.peek(), "expected TABLE, SCHEMA or CATALOG after CREATE, found %s", describe(p.src, p.peek()))
	}
	if obj == "DATABASE" {
		obj = "SCHEMA"
	}
	if obj == "VIEW" && !slices.ContainsFunc(mods, func(m string) bool { return m != "TEMPORARY" && m != "TEMP" }) {
		return p.createView(orReplace, mods)
	}
	if len(mods) > 0 || (obj != "TABLE" && obj != "SCHEMA" && obj != "CATALOG") {
		err := &UnsupportedError{Kind: "statement", Construct: strings.Join(append(append([]string{"CREATE"}, mods...), obj), " ")}
		if len(mods) == 1 && mods[0] == "EXTERNAL" {
			err.Hint = "zbemu creates managed tables only"
		}
		switch obj {
		case "FLOW":
			err.Hint = flowHint
		case "CONNECTION":
			err.Hint = connectionHint
		}
		return nil, err
	}
	if orReplace && obj != "TABLE" {
		return nil, unsupported("statement", "CREATE OR REPLACE "+obj)
	}
	p.next()
	switch obj {
	case "TABLE":
		return p.createTable(orReplace)
	case "SCHEMA":
		return p.createSchema()
	}
	return p.createCatalog()
}

// connectionHint answers CREATE CONNECTION, which learners try because
// Kafka-style ingestion needs one: Zerobus writes with a service
// principal's OAuth token and its grants on the table instead
// (https://docs.databricks.com/aws/en/ingestion/zerobus-ingest).
const connectionHint = "Zerobus needs no connection: a client writes with a service principal's OAuth token (or a token) and the principal's grants on the table. " +
	"Create one with `zbemu principal create NAME`, then: GRANT USE CATALOG ON CATALOG main TO `<client id>`; " +
	"GRANT USE SCHEMA ON SCHEMA main.default TO `<client id>`; GRANT SELECT, MODIFY ON TABLE main.default.<table> TO `<client id>`"

// createModifiers are the words between CREATE and the object type that
// make it a kind of object zbemu does not implement.
var createModifiers = map[string]bool{
	"TEMPORARY": true, "TEMP": true, "GLOBAL": true, "EXTERNAL": true,
	"MATERIALIZED": true, "STREAMING": true, "LIVE": true, "FOREIGN": true,
}

// ifNotExists consumes IF NOT EXISTS. It checks NOT first so that a table
// named "if" still parses.
func (p *parser) ifNotExists() bool {
	if p.peek().isKw("IF") && p.peekN(1).isKw("NOT") && p.peekN(2).isKw("EXISTS") {
		p.pos += 3
		return true
	}
	return false
}

func (p *parser) ifExists() bool {
	if p.peek().isKw("IF") && p.peekN(1).isKw("EXISTS") {
		p.pos += 2
		return true
	}
	return false
}

// once reports a clause given twice, which Databricks rejects too.
func (p *parser) once(seen map[string]bool, t token, clause string) error {
	if seen[clause] {
		return p.errAt(t, "duplicate %s clause", clause)
	}
	seen[clause] = true
	return nil
}

// commentClause parses COMMENT '...' at t, once per statement (or column).
func (p *parser) commentClause(seen map[string]bool, t token, what string) (string, error) {
	if err := p.once(seen, t, "COMMENT"); err != nil {
		return "", err
	}
	p.next()
	return p.stringLit(what)
}

func (p *parser) createCatalog() (Statement, error) {
	st := &CreateCatalog{IfNotExists: p.ifNotExists()}
	q, err := p.qname("catalog name", 1)
	if err != nil {
		return nil, err
	}
	st.Name = q.Parts[0]
	seen := map[string]bool{}
	for t := p.peek(); t.kind != tokEOF; t = p.peek() {
		switch p.word(0) {
		case "COMMENT":
			if st.Comment, err = p.commentClause(seen, t, "a comment"); err != nil {
				return nil, err
			}
		case "MANAGED", "LOCATION":
			return nil, p.locationClause()
		case "USING":
			return nil, unsupported("clause", "USING SHARE")
		case "DEFAULT":
			return nil, unsupported("clause", "DEFAULT COLLATION")
		case "OPTIONS":
			return nil, unsupported("clause", "OPTIONS")
		default:
			return nil, p.end()
		}
	}
	return st, nil
}

func (p *parser) createSchema() (Statement, error) {
	st := &CreateSchema{IfNotExists: p.ifNotExists()}
	q, err := p.qname("schema name", 2)
	if err != nil {
		return nil, err
	}
	st.Name = q
	seen := map[string]bool{}
	for t := p.peek(); t.kind != tokEOF; t = p.peek() {
		switch p.word(0) {
		case "COMMENT":
			if st.Comment, err = p.commentClause(seen, t, "a comment"); err != nil {
				return nil, err
			}
		case "WITH":
			if err := p.once(seen, t, "WITH DBPROPERTIES"); err != nil {
				return nil, err
			}
			p.next()
			if !p.acceptKw("DBPROPERTIES") && !p.acceptKw("PROPERTIES") {
				return nil, p.errAt(p.peek(), "expected DBPROPERTIES after WITH, found %s", describe(p.src, p.peek()))
			}
			if st.Properties, err = p.properties(); err != nil {
				return nil, err
			}
		case "MANAGED", "LOCATION":
			return nil, p.locationClause()
		case "DEFAULT":
			return nil, unsupported("clause", "DEFAULT COLLATION")
		default:
			return nil, p.end()
		}
	}
	return st, nil
}

// locationClause rejects [MANAGED] LOCATION of catalogs and schemas.
func (p *parser) locationClause() error {
	construct := "LOCATION"
	if p.word(0) == "MANAGED" {
		construct = "MANAGED LOCATION"
	}
	return &UnsupportedError{Kind: "clause", Construct: construct, Hint: "zbemu stores all data itself"}
}

// createTable parses the rest of CREATE [OR REPLACE] TABLE.
func (p *parser) createTable(orReplace bool) (Statement, error) {
	st := &CreateTable{OrReplace: orReplace}
	if t := p.peek(); p.ifNotExists() {
		if orReplace {
			return nil, p.errAt(t, "IF NOT EXISTS cannot be combined with OR REPLACE")
		}
		st.IfNotExists = true
	}
	var err error
	if st.Name, err = p.qname("table name", 3); err != nil {
		return nil, err
	}
	if p.peek().isOp("(") && !p.startsQuery(p.pos) {
		if st.Columns, err = p.columnList(&st.Constraints); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for t := p.peek(); t.kind != tokEOF; t = p.peek() {
		w := p.word(0)
		switch {
		case w == "USING":
			if err := p.once(seen, t, "USING"); err != nil {
				return nil, err
			}
			p.next()
			f, err := p.ident("a table format after USING")
			if err != nil {
				return nil, err
			}
			st.Using = strings.ToUpper(f)
		case w == "PARTITIONED":
			if err := p.once(seen, t, "PARTITIONED BY"); err != nil {
				return nil, err
			}
			p.next()
			if err := p.expectKw("BY", "after PARTITIONED"); err != nil {
				return nil, err
			}
			if st.PartitionedBy, err = p.nameList("a partition column"); err != nil {
				return nil, err
			}
		case w == "CLUSTER":
			if err := p.once(seen, t, "CLUSTER BY"); err != nil {
				return nil, err
			}
			p.next()
			if err := p.expectKw("BY", "after CLUSTER"); err != nil {
				return nil, err
			}
			switch {
			case p.acceptKw("AUTO"):
				st.ClusterBy = []string{"AUTO"}
			case p.acceptKw("NONE"):
			default:
				if st.ClusterBy, err = p.nameList("a clustering column"); err != nil {
					return nil, err
				}
			}
		case w == "COMMENT":
			if st.Comment, err = p.commentClause(seen, t, "a comment"); err != nil {
				return nil, err
			}
		case w == "TBLPROPERTIES":
			if err := p.once(seen, t, "TBLPROPERTIES"); err != nil {
				return nil, err
			}
			p.next()
			if st.Properties, err = p.properties(); err != nil {
				return nil, err
			}
		case w == "LOCATION":
			return nil, &UnsupportedError{Kind: "clause", Construct: "LOCATION", Hint: "zbemu creates managed tables only"}
		case w == "WITH" && p.peekN(1).isKw("ROW"):
			return nil, unsupported("clause", "WITH ROW FILTER")
		case tableClauses[w] != "":
			return nil, unsupported("clause", tableClauses[w])
		case w == "AS":
			p.next()
			if !p.startsQuery(p.pos) {
				return nil, p.errAt(p.peek(), "expected a query after AS, found %s", describe(p.src, p.peek()))
			}
			fallthrough
		case p.startsQuery(p.pos):
			if st.AsQuery, st.AsQueryText, err = p.asQuery(); err != nil {
				return nil, err
			}
			st.AsSelect = st.AsQuery.SQL
		default:
			return nil, p.errAt(t, "expected a table clause (USING, PARTITIONED BY, CLUSTER BY, COMMENT, TBLPROPERTIES) or AS, found %s", describe(p.src, t))
		}
	}
	return st, nil
}

// tableClauses are CREATE TABLE clauses zbemu does not implement.
var tableClauses = map[string]string{
	"OPTIONS": "OPTIONS", "CLUSTERED": "CLUSTERED BY", "ROW": "ROW FORMAT",
	"STORED": "STORED AS", "DEFAULT": "DEFAULT COLLATION", "SKEWED": "SKEWED BY",
	"MASK": "MASK",
}

// startsQuery reports whether a query starts at token i.
func (p *parser) startsQuery(i int) bool {
	for p.at(i).isOp("(") {
		i++
	}
	t := p.at(i)
	return t.isKw("SELECT") || t.isKw("WITH") || t.isKw("VALUES") || t.isKw("FROM")
}

// columnList parses "(" column, ... ")" of CREATE TABLE; CHECK
// constraints among the columns go to checks.
func (p *parser) columnList(checks *[]CheckConstraint) ([]ColumnDef, error) {
	p.next() // "("
	var cols []ColumnDef
	for {
		switch w := p.word(0); {
		case w == "CONSTRAINT" && p.word(2) == "CHECK":
			p.next()
			c, err := p.checkConstraint()
			if err != nil {
				return nil, err
			}
			*checks = append(*checks, c)
			if p.acceptOp(",") {
				continue
			}
			if p.acceptOp(")") {
				return cols, nil
			}
			return nil, p.errAt(p.peek(), "expected \")\" after column list, found %s", describe(p.src, p.peek()))
		case w == "CONSTRAINT" && p.peekN(1).kind != tokEOF && p.peekN(2).kind == tokIdent:
			kind := p.word(2)
			if kind == "PRIMARY" || kind == "FOREIGN" {
				kind += " KEY"
			}
			return nil, unsupported("clause", "table constraint "+kind)
		case (w == "PRIMARY" || w == "FOREIGN") && p.peekN(1).isKw("KEY"):
			return nil, unsupported("clause", "table constraint "+w+" KEY")
		}
		col, err := p.columnDef(false)
		if err != nil {
			return nil, err
		}
		cols = append(cols, col)
		if p.acceptOp(",") {
			continue
		}
		if p.acceptOp(")") {
			return cols, nil
		}
		return nil, p.errAt(p.peek(), "expected \")\" after column list, found %s", describe(p.src, p.peek()))
	}
}

// columnDef parses name type [NOT NULL] [COMMENT '...'].
func (p *parser) columnDef(adding bool) (ColumnDef, error) {
	var col ColumnDef
	var err error
	if col.Name, err = p.ident("a column name"); err != nil {
		return col, err
	}
	if adding && p.peek().isOp(".") {
		return col, unsupported("clause", "ADD COLUMNS for a nested STRUCT field")
	}
	if col.TypeText, err = p.typeText(); err != nil {
		return col, err
	}
	seen := map[string]bool{}
	for {
		t := p.peek()
		w := p.word(0)
		switch w {
		case "NOT":
			if err := p.once(seen, t, "NOT NULL"); err != nil {
				return col, err
			}
			p.next()
			if err := p.expectKw("NULL", "after NOT"); err != nil {
				return col, err
			}
			col.NotNull = true
			continue
		case "COMMENT":
			if col.Comment, err = p.commentClause(seen, t, "a column comment"); err != nil {
				return col, err
			}
			continue
		case "DEFAULT":
			if err := p.once(seen, t, "DEFAULT"); err != nil {
				return col, err
			}
			if col.Default, err = p.defaultClause(); err != nil {
				return col, err
			}
			continue
		case "GENERATED":
			return col, unsupported("column option", p.generatedKind())
		case "WITH":
			if p.peekN(1).isKw("MASK") {
				return col, unsupported("column option", "MASK")
			}
		case "FIRST", "AFTER":
			return col, unsupported("column option", "column position "+w)
		default:
			if c := columnOptions[w]; c != "" {
				return col, unsupported("column option", c)
			}
		}
		return col, nil
	}
}

// columnOptions are column clauses zbemu does not implement.
var columnOptions = map[string]string{
	"PRIMARY": "PRIMARY KEY", "FOREIGN": "FOREIGN KEY",
	"REFERENCES": "FOREIGN KEY", "CONSTRAINT": "CONSTRAINT", "CHECK": "CHECK",
	"MASK": "MASK", "UNIQUE": "UNIQUE",
}

// generatedKind tells identity columns from generated expressions by
// looking ahead to the end of the column definition.
func (p *parser) generatedKind() string {
	depth := 0
	for i := p.pos; p.at(i).kind != tokEOF; i++ {
		t := p.at(i)
		switch {
		case t.isOp("("):
			depth++
		case t.isOp(")"):
			if depth == 0 {
				return "GENERATED ALWAYS AS"
			}
			depth--
		case t.isOp(",") && depth == 0:
			return "GENERATED ALWAYS AS"
		case t.isKw("IDENTITY"):
			return "GENERATED AS IDENTITY"
		}
	}
	return "GENERATED ALWAYS AS"
}

// intervalUnits are the fields of INTERVAL types (INTERVAL DAY TO SECOND).
var intervalUnits = map[string]bool{
	"YEAR": true, "MONTH": true, "DAY": true, "HOUR": true, "MINUTE": true, "SECOND": true,
}

// typeText returns a column type exactly as typed: a name, then balanced
// <...> and (...) groups, or an INTERVAL with its fields, then an optional
// COLLATE clause.
func (p *parser) typeText() (string, error) {
	t := p.peek()
	if t.kind != tokIdent {
		return "", p.errAt(t, "expected a column type, found %s", describe(p.src, t))
	}
	p.next()
	end := t.end
	if t.isKw("INTERVAL") && intervalUnits[p.word(0)] {
		end = p.next().end
		if p.peek().isKw("TO") && intervalUnits[p.word(1)] {
			p.next()
			end = p.next().end
		}
	}
	for _, br := range [][2]string{{"<", ">"}, {"(", ")"}} {
		if !p.peek().isOp(br[0]) {
			continue
		}
		open := p.peek()
		for depth := 0; ; {
			u := p.next()
			switch {
			case u.kind == tokEOF:
				return "", p.errAt(open, "unbalanced %q in column type", br[0])
			case u.isOp(br[0]):
				depth++
			case u.isOp(br[1]):
				depth--
			}
			if depth == 0 {
				end = u.end
				break
			}
		}
	}
	// COLLATE belongs to the type in Databricks (STRING COLLATE UTF8_LCASE);
	// package schema accepts it, so keep it in the text.
	if p.peek().isKw("COLLATE") && (p.peekN(1).kind == tokIdent || p.peekN(1).kind == tokQuotedIdent) {
		p.next()
		end = p.next().end
	}
	return p.src[t.start:end], nil
}

// nameList parses "(" name, ... ")".
func (p *parser) nameList(what string) ([]string, error) {
	if err := p.expectOp("(", "before the column names"); err != nil {
		return nil, err
	}
	var names []string
	for {
		n, err := p.ident(what)
		if err != nil {
			return nil, err
		}
		names = append(names, n)
		if p.acceptOp(",") {
			continue
		}
		return names, p.expectOp(")", "after the column names")
	}
}
