package dialect

// This file parses the view statements of Databricks SQL
// (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-create-view):
// CREATE [OR REPLACE] VIEW [IF NOT EXISTS], DROP VIEW and ALTER VIEW ... AS.

// CreateView is CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name
// [(column [COMMENT '...'], ...)] [COMMENT '...'] [TBLPROPERTIES (...)] AS
// query. Columns, when given, rename the query's columns in order.
type CreateView struct {
	Name        QName
	OrReplace   bool
	IfNotExists bool
	Columns     []ViewColumn
	Comment     string
	Properties  map[string]string
	// Query is the query translated for DuckDB, with the names the
	// sealed-SQL checks read; QueryText is the query as written.
	Query     *Query
	QueryText string
}

// ViewColumn is one column of a view's column list.
type ViewColumn struct {
	Name    string
	Comment string
}

// DropView is DROP VIEW [IF EXISTS] name.
type DropView struct {
	Name     QName
	IfExists bool
}

// AlterViewAs is ALTER VIEW name AS query: the view's new definition; its
// comment, properties, owner and grants stay.
type AlterViewAs struct {
	Name      QName
	Query     *Query
	QueryText string
}

func (*CreateView) statement()  {}
func (*DropView) statement()    {}
func (*AlterViewAs) statement() {}

// createView parses the rest of CREATE [OR REPLACE] [TEMPORARY] VIEW; mods
// are the words between CREATE and VIEW.
func (p *parser) createView(orReplace bool, mods []string) (Statement, error) {
	if len(mods) > 0 {
		return nil, &UnsupportedError{Kind: "statement", Construct: "CREATE " + joinWords(mods) + " VIEW",
			Hint: "the Statement Execution API has no sessions for a temporary view to live in; create a view (CREATE VIEW) or name the query with WITH name AS (...)"}
	}
	p.next() // VIEW
	st := &CreateView{OrReplace: orReplace}
	if t := p.peek(); p.ifNotExists() {
		if orReplace {
			return nil, p.errAt(t, "IF NOT EXISTS cannot be combined with OR REPLACE")
		}
		st.IfNotExists = true
	}
	var err error
	if st.Name, err = p.qname("view name", 3); err != nil {
		return nil, err
	}
	if p.peek().isOp("(") && !p.startsQuery(p.pos) {
		if st.Columns, err = p.viewColumns(); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for t := p.peek(); ; t = p.peek() {
		switch w := p.word(0); w {
		case "COMMENT":
			if st.Comment, err = p.commentClause(seen, t, "a comment"); err != nil {
				return nil, err
			}
			continue
		case "TBLPROPERTIES":
			if err := p.once(seen, t, "TBLPROPERTIES"); err != nil {
				return nil, err
			}
			p.next()
			if st.Properties, err = p.properties(); err != nil {
				return nil, err
			}
			continue
		case "WITH":
			if p.word(1) == "SCHEMA" {
				return nil, unsupported("clause", "WITH SCHEMA BINDING")
			}
		case "DEFAULT", "LANGUAGE":
			return nil, unsupported("clause", w)
		}
		break
	}
	if st.Query, st.QueryText, err = p.viewQuery(); err != nil {
		return nil, err
	}
	return st, nil
}

// viewQuery reads AS query at the end of a view statement.
func (p *parser) viewQuery() (*Query, string, error) {
	if err := p.expectKw("AS", "before the view's query"); err != nil {
		return nil, "", err
	}
	if !p.startsQuery(p.pos) {
		return nil, "", p.errAt(p.peek(), "expected a query after AS, found %s", describe(p.src, p.peek()))
	}
	return p.asQuery()
}

// viewColumns parses "(" name [COMMENT '...'], ... ")".
func (p *parser) viewColumns() ([]ViewColumn, error) {
	p.next() // "("
	var cols []ViewColumn
	for {
		name, err := p.ident("a column name")
		if err != nil {
			return nil, err
		}
		c := ViewColumn{Name: name}
		if p.peek().isKw("COMMENT") {
			if c.Comment, err = p.commentClause(map[string]bool{}, p.peek(), "a column comment"); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if p.acceptOp(",") {
			continue
		}
		return cols, p.expectOp(")", "after the view's column list")
	}
}

// dropView parses the rest of DROP VIEW.
func (p *parser) dropView() (Statement, error) {
	p.next() // VIEW
	st := &DropView{IfExists: p.ifExists()}
	var err error
	if st.Name, err = p.qname("view name", 3); err != nil {
		return nil, err
	}
	return st, p.end()
}

// alterView parses the rest of ALTER VIEW name AS query.
func (p *parser) alterView() (Statement, error) {
	p.next() // VIEW
	name, err := p.qname("view name", 3)
	if err != nil {
		return nil, err
	}
	if !p.peek().isKw("AS") {
		return nil, &UnsupportedError{Kind: "statement", Construct: "ALTER VIEW " + p.word(0),
			Hint: "zbemu supports ALTER VIEW name AS query; to change anything else, CREATE OR REPLACE VIEW"}
	}
	st := &AlterViewAs{Name: name}
	if st.Query, st.QueryText, err = p.viewQuery(); err != nil {
		return nil, err
	}
	return st, nil
}

func joinWords(ws []string) string {
	s := ""
	for i, w := range ws {
		if i > 0 {
			s += " "
		}
		s += w
	}
	return s
}
