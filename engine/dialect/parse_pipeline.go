package dialect

import "strings"

// Pipeline dataset definitions, as Lakeflow Declarative Pipelines read
// them: https://docs.databricks.com/aws/en/ldp/developer/sql-ref (CREATE
// STREAMING TABLE, CREATE MATERIALIZED VIEW, CREATE [TEMPORARY] VIEW) and
// the legacy DLT spellings (CREATE OR REFRESH [TEMPORARY] [STREAMING] LIVE
// TABLE, CREATE [TEMPORARY] [STREAMING] LIVE VIEW, LIVE.x, STREAM(x)).
//
// A legacy LIVE TABLE is a materialized view unless its query reads a
// STREAM, in which case it is a streaming table: the legacy reference
// defines "CREATE OR REFRESH LIVE TABLE" as a materialized view and
// "STREAMING LIVE TABLE" as a streaming table, and DLT decided by the
// query whether a table is incremental; zbemu follows the query so that an
// old notebook that wrote LIVE TABLE over STREAM(...) still appends only
// new rows instead of failing.

// temporaryWords make a dataset private to its pipeline: TEMPORARY (and
// TEMP) in the legacy syntax, PRIVATE in the current one.
var temporaryWords = map[string]bool{"TEMPORARY": true, "TEMP": true, "PRIVATE": true}

// isDatasetStart reports whether the tokens after CREATE start a dataset
// definition without OR REFRESH: [TEMPORARY | PRIVATE] then STREAMING ...,
// MATERIALIZED VIEW or LIVE ...
func (p *parser) isDatasetStart() bool {
	k := 0
	if temporaryWords[p.word(0)] {
		k = 1
	}
	switch p.word(k) {
	case "STREAMING", "LIVE":
		return true
	case "MATERIALIZED":
		return p.word(k+1) == "VIEW"
	}
	return false
}

// createDataset parses a dataset definition after CREATE [OR REFRESH].
func (p *parser) createDataset(refresh bool) (Statement, error) {
	d := &CreateDataset{}
	if temporaryWords[p.word(0)] {
		p.next()
		d.Temporary = true
	}
	streaming := p.acceptKw("STREAMING")
	switch w := p.word(0); {
	case w == "TABLE" && streaming:
		d.Kind = DatasetStreamingTable
	case w == "MATERIALIZED" && !streaming && p.word(1) == "VIEW":
		p.next()
		d.Kind = DatasetMaterializedView
	case w == "LIVE" && p.word(1) == "TABLE":
		p.next()
		d.Legacy = true
		if streaming {
			d.Kind = DatasetStreamingTable
		}
	case w == "LIVE" && p.word(1) == "VIEW":
		p.next()
		d.Legacy, d.Kind = true, DatasetView
	default:
		form := "CREATE"
		if refresh {
			form += " OR REFRESH"
		}
		return nil, p.errAt(p.peek(), "expected STREAMING TABLE, MATERIALIZED VIEW, LIVE TABLE or LIVE VIEW after %s, found %s", form, describe(p.src, p.peek()))
	}
	p.next() // TABLE or VIEW
	if err := p.datasetBody(d); err != nil {
		return nil, err
	}
	if d.Kind == "" { // a legacy LIVE TABLE: decided by its query
		d.Kind = DatasetMaterializedView
		for _, r := range d.Refs {
			if r.Stream {
				d.Kind = DatasetStreamingTable
			}
		}
	}
	return d, nil
}

// createPlainView parses CREATE [OR REPLACE] [TEMPORARY] VIEW inside a
// pipeline source, after CREATE; the caller checked the words.
func (p *parser) createPlainView() (*CreateDataset, error) {
	if p.acceptKw("OR") {
		p.next() // REPLACE
	}
	d := &CreateDataset{Kind: DatasetView}
	if p.acceptKw("TEMPORARY") || p.acceptKw("TEMP") {
		d.Temporary = true
	}
	p.next() // VIEW
	return d, p.datasetBody(d)
}

// datasetBody parses name [(columns and expectations)] [clauses] AS query.
func (p *parser) datasetBody(d *CreateDataset) error {
	if p.ifNotExists() {
		return unsupported("clause", "IF NOT EXISTS in a pipeline dataset")
	}
	var err error
	if d.Name, err = p.qname("dataset name", 3); err != nil {
		return err
	}
	if p.peek().isOp("(") && !p.startsQuery(p.pos) {
		if err := p.datasetColumns(d); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for t := p.peek(); ; t = p.peek() {
		switch w := p.word(0); {
		case w == "COMMENT":
			if d.Comment, err = p.commentClause(seen, t, "a comment"); err != nil {
				return err
			}
		case w == "TBLPROPERTIES":
			if err := p.once(seen, t, "TBLPROPERTIES"); err != nil {
				return err
			}
			p.next()
			if d.Properties, err = p.properties(); err != nil {
				return err
			}
		case w == "PARTITIONED":
			if err := p.once(seen, t, "PARTITIONED BY"); err != nil {
				return err
			}
			p.next()
			if err := p.expectKw("BY", "after PARTITIONED"); err != nil {
				return err
			}
			if d.PartitionedBy, err = p.nameList("a partition column"); err != nil {
				return err
			}
		case w == "CLUSTER":
			if err := p.once(seen, t, "CLUSTER BY"); err != nil {
				return err
			}
			p.next()
			if err := p.expectKw("BY", "after CLUSTER"); err != nil {
				return err
			}
			switch {
			case p.acceptKw("AUTO"):
				d.ClusterBy = []string{"AUTO"}
			case p.acceptKw("NONE"):
			default:
				if d.ClusterBy, err = p.nameList("a clustering column"); err != nil {
					return err
				}
			}
		case datasetClauses[w] != "":
			return unsupported("clause", datasetClauses[w])
		case w == "WITH" && p.peekN(1).isKw("ROW"):
			return unsupported("clause", "WITH ROW FILTER")
		case w == "AS":
			p.next()
			if !p.startsQuery(p.pos) {
				return p.errAt(p.peek(), "expected a query after AS, found %s", describe(p.src, p.peek()))
			}
			return p.datasetQuery(d)
		case t.kind == tokEOF:
			return &UnsupportedError{Kind: "statement", Construct: "pipeline dataset without AS query",
				Hint: "zbemu pipelines define each dataset by its query (AS SELECT ...); APPLY CHANGES INTO / AUTO CDC and CREATE FLOW are not implemented"}
		default:
			return p.errAt(t, "expected COMMENT, TBLPROPERTIES, PARTITIONED BY, CLUSTER BY or AS query, found %s", describe(p.src, t))
		}
	}
}

// datasetClauses are clauses of pipeline datasets zbemu does not
// implement.
var datasetClauses = map[string]string{
	"SCHEDULE": "SCHEDULE", "TRIGGER": "TRIGGER ON UPDATE", "MASK": "MASK",
	"LOCATION": "LOCATION", "USING": "USING", "OPTIONS": "OPTIONS",
	"DEFAULT": "DEFAULT COLLATION", "SCHEMA": "SCHEMA",
}

// datasetColumns parses the parenthesised list of column definitions and
// CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE]
// clauses of a dataset.
func (p *parser) datasetColumns(d *CreateDataset) error {
	p.next() // "("
	names := map[string]bool{}
	for {
		if p.peek().isKw("CONSTRAINT") && p.peekN(1).kind != tokEOF && p.peekN(2).isKw("EXPECT") {
			p.next()
			at := p.peek()
			e, err := p.expectation()
			if err != nil {
				return err
			}
			if key := strings.ToLower(e.Name); names[key] {
				return p.errAt(at, "duplicate expectation %s in dataset %s (expectation names must be unique within a dataset)", quoteBacktick(e.Name), d.Name)
			} else {
				names[key] = true
			}
			d.Expectations = append(d.Expectations, e)
		} else {
			switch w := p.word(0); {
			case w == "CONSTRAINT":
				kind := p.word(2)
				if kind == "PRIMARY" || kind == "FOREIGN" {
					kind += " KEY"
				}
				return &UnsupportedError{Kind: "clause", Construct: "table constraint " + kind, Hint: "pipelines check rows with CONSTRAINT name EXPECT (condition)"}
			case (w == "PRIMARY" || w == "FOREIGN") && p.peekN(1).isKw("KEY"):
				return unsupported("clause", "table constraint "+w+" KEY")
			}
			col, err := p.columnDef(false)
			if err != nil {
				return err
			}
			d.Columns = append(d.Columns, col)
		}
		if p.acceptOp(",") {
			continue
		}
		return p.expectOp(")", "after the columns and expectations")
	}
}

// expectation parses name EXPECT (condition) [ON VIOLATION ...] after
// CONSTRAINT.
func (p *parser) expectation() (Expectation, error) {
	var e Expectation
	var err error
	if e.Name, err = p.ident("an expectation name"); err != nil {
		return e, err
	}
	p.next() // EXPECT
	open := p.peek()
	if !open.isOp("(") {
		return e, p.errAt(open, "expected \"(\" before the condition of expectation %s, found %s", quoteBacktick(e.Name), describe(p.src, open))
	}
	start := p.pos
	for depth := 0; ; {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return e, p.errAt(open, "unclosed \"(\" in the condition of expectation %s", quoteBacktick(e.Name))
		case t.isOp("("):
			depth++
		case t.isOp(")"):
			depth--
		}
		if depth == 0 {
			break
		}
	}
	close := p.pos - 1
	if close == start+1 {
		return e, p.errAt(p.at(close), "expected a condition in EXPECT (...) of expectation %s", quoteBacktick(e.Name))
	}
	e.Condition = strings.TrimSpace(p.src[p.toks[start].end:p.toks[close].start])
	if e.ConditionSQL, err = translateTokens(p.src, p.all[p.idx[start]+1:p.idx[close]], p.opts); err != nil {
		return e, err
	}
	e.Action = ExpectWarn
	if !p.peek().isKw("ON") {
		return e, nil
	}
	p.next()
	if err := p.expectKw("VIOLATION", "after ON in expectation "+quoteBacktick(e.Name)); err != nil {
		return e, err
	}
	switch t := p.peek(); {
	case t.isKw("DROP") && p.peekN(1).isKw("ROW"):
		e.Action = ExpectDrop
	case t.isKw("FAIL") && p.peekN(1).isKw("UPDATE"):
		e.Action = ExpectFail
	default:
		return e, p.errAt(t, "expected DROP ROW or FAIL UPDATE after ON VIOLATION, found %s (leave out ON VIOLATION to keep violating rows and count them)", describe(p.src, t))
	}
	p.pos += 2
	return e, nil
}

// datasetQuery takes the rest of the statement as the dataset's query and
// finds the relations it reads.
func (p *parser) datasetQuery(d *CreateDataset) error {
	q := p.all[p.idx[p.pos]:p.idx[len(p.toks)-1]]
	for len(q) > 0 && q[len(q)-1].trivia() {
		q = q[:len(q)-1]
	}
	d.Query = p.src[q[0].start:q[len(q)-1].end]
	d.query, d.src = q, p.src
	d.Calls, d.Qualifiers, d.Paths = references(p.toks[p.pos : len(p.toks)-1])
	p.pos = len(p.toks) - 1
	var err error
	d.Refs, d.spans, err = findRefs(p.src, q)
	return err
}

// ParseDataset parses one statement of a pipeline source file: a dataset
// definition as Parse reads it (streaming table, materialized view, legacy
// LIVE table or view) or a view of the pipeline, CREATE [OR REPLACE]
// [TEMPORARY] VIEW name AS query, which outside a pipeline is an ordinary
// catalog view. Other statements are refused with an error that names
// them; SET key = value lines are the caller's (they set the pipeline's
// configuration, not a dataset).
func ParseDataset(stmt string, opts TranslateOptions) (*CreateDataset, error) {
	p, err := newParser(stmt, opts)
	if err != nil {
		return nil, err
	}
	if w := p.word(0); w == "IMPORT" || w == "DEF" || p.peek().isOp("@") || w == "FROM" && p.peekN(2).isKw("IMPORT") {
		return nil, &UnsupportedError{Kind: "statement", Construct: "Python pipeline source", Hint: "zbemu runs pipelines written in SQL"}
	}
	var st Statement
	k := 1
	if p.peek().isKw("CREATE") && p.peekN(1).isKw("OR") && p.peekN(2).isKw("REPLACE") {
		k = 3
	}
	if w := p.word(k); p.peek().isKw("CREATE") && (w == "VIEW" || (w == "TEMPORARY" || w == "TEMP") && p.word(k+1) == "VIEW") {
		p.next()
		st, err = p.createPlainView()
	} else {
		st, err = p.statement()
	}
	if err != nil {
		return nil, err
	}
	if d, ok := st.(*CreateDataset); ok {
		return d, nil
	}
	hint := "a pipeline source defines datasets: CREATE OR REFRESH STREAMING TABLE, CREATE OR REFRESH MATERIALIZED VIEW or CREATE TEMPORARY VIEW ... AS query"
	return nil, &UnsupportedError{Kind: "statement", Construct: strings.ToUpper(p.toks[0].val) + " in a pipeline source", Hint: hint}
}
