package dialect

import "strings"

// ALTER TABLE forms for Delta CHECK constraints, column DEFAULTs and
// column-mapping changes (DROP COLUMN, RENAME COLUMN).

// AlterTableAddConstraint is ALTER TABLE name ADD CONSTRAINT c CHECK
// (condition) [ENFORCED]. Check is the condition as typed, without the
// parentheses (Delta stores it so in delta.constraints.<c>).
type AlterTableAddConstraint struct {
	Name       QName
	Constraint string
	Check      string
}

// AlterTableDropConstraint is ALTER TABLE name DROP CONSTRAINT [IF
// EXISTS] c [RESTRICT | CASCADE].
type AlterTableDropConstraint struct {
	Name       QName
	Constraint string
	IfExists   bool
}

// AlterColumnDefault is ALTER TABLE name ALTER COLUMN c SET DEFAULT expr
// (Default is the expression as typed) or ... DROP DEFAULT (Drop is set).
type AlterColumnDefault struct {
	Name    QName
	Column  string
	Default string
	Drop    bool
}

// AlterTableDropColumns is ALTER TABLE name DROP COLUMN[S] [IF EXISTS]
// c | (c1, c2, ...).
type AlterTableDropColumns struct {
	Name     QName
	Columns  []string
	IfExists bool
}

// AlterTableRenameColumn is ALTER TABLE name RENAME COLUMN a TO b.
type AlterTableRenameColumn struct {
	Name     QName
	From, To string
}

// CheckConstraint is CONSTRAINT c CHECK (condition) in CREATE TABLE.
type CheckConstraint struct {
	Name  string
	Check string
}

func (*AlterTableAddConstraint) statement()  {}
func (*AlterTableDropConstraint) statement() {}
func (*AlterColumnDefault) statement()       {}
func (*AlterTableDropColumns) statement()    {}
func (*AlterTableRenameColumn) statement()   {}

// ChangedTable implements TableChange: these statements need the same
// privileges as every other ALTER TABLE.
func (s *AlterTableAddConstraint) ChangedTable() QName  { return s.Name }
func (s *AlterTableDropConstraint) ChangedTable() QName { return s.Name }
func (s *AlterColumnDefault) ChangedTable() QName       { return s.Name }
func (s *AlterTableDropColumns) ChangedTable() QName    { return s.Name }
func (s *AlterTableRenameColumn) ChangedTable() QName   { return s.Name }

// checkConstraint parses "c CHECK (condition) [ENFORCED]" after
// CONSTRAINT; the condition ends at the matching ")".
func (p *parser) checkConstraint() (CheckConstraint, error) {
	name, err := p.ident("a constraint name")
	if err != nil {
		return CheckConstraint{}, err
	}
	switch w := p.word(0); w {
	case "CHECK":
	case "PRIMARY", "FOREIGN", "UNIQUE":
		construct := w
		if w != "UNIQUE" {
			construct += " KEY"
		}
		return CheckConstraint{}, &UnsupportedError{Kind: "clause", Construct: "constraint " + construct,
			Hint: "zbemu implements CHECK constraints; informational keys are not enforced by Databricks either"}
	default:
		return CheckConstraint{}, p.errAt(p.peek(), "expected CHECK after the constraint name, found %s", describe(p.src, p.peek()))
	}
	p.next()
	open := p.peek()
	if !open.isOp("(") || open.closeAt == 0 {
		return CheckConstraint{}, p.errAt(open, "expected \"(\" after CHECK (the condition is in parentheses), found %s", describe(p.src, open))
	}
	text := strings.TrimSpace(p.src[open.end : open.closeAt-1])
	for p.peek().kind != tokEOF && p.peek().start < open.closeAt {
		p.next()
	}
	if _, err := ParseExpr(text); err != nil {
		return CheckConstraint{}, err
	}
	if p.acceptKw("NOT") {
		return CheckConstraint{}, unsupported("clause", "NOT ENFORCED")
	}
	p.acceptKw("ENFORCED")
	return CheckConstraint{Name: name, Check: text}, nil
}

// addConstraint parses ALTER TABLE name ADD CONSTRAINT ...; ADD is consumed.
func (p *parser) addConstraint(name QName) (Statement, error) {
	p.next() // CONSTRAINT
	c, err := p.checkConstraint()
	if err != nil {
		return nil, err
	}
	return &AlterTableAddConstraint{Name: name, Constraint: c.Name, Check: c.Check}, p.end()
}

// alterDrop parses ALTER TABLE name DROP CONSTRAINT | COLUMN[S] ...; DROP
// is next.
func (p *parser) alterDrop(name QName) (Statement, error) {
	p.next()
	switch w := p.word(0); w {
	case "CONSTRAINT":
		p.next()
		st := &AlterTableDropConstraint{Name: name, IfExists: p.ifExists()}
		var err error
		if st.Constraint, err = p.ident("a constraint name"); err != nil {
			return nil, err
		}
		p.cascade()
		return st, p.end()
	case "COLUMN", "COLUMNS":
		p.next()
		st := &AlterTableDropColumns{Name: name, IfExists: p.ifExists()}
		if p.peek().isOp("(") {
			cols, err := p.nameList("a column name")
			if err != nil {
				return nil, err
			}
			st.Columns = cols
		} else {
			for {
				c, err := p.ident("a column name")
				if err != nil {
					return nil, err
				}
				if p.peek().isOp(".") {
					return nil, unsupported("statement", "DROP COLUMN for a nested STRUCT field")
				}
				st.Columns = append(st.Columns, c)
				if !p.acceptOp(",") {
					break
				}
			}
		}
		return st, p.end()
	default:
		return nil, unsupported("statement", strings.TrimSpace("ALTER TABLE DROP "+w))
	}
}

// alterRename parses ALTER TABLE name RENAME COLUMN a TO b; RENAME is next.
func (p *parser) alterRename(name QName) (Statement, error) {
	p.next()
	if !p.acceptKw("COLUMN") {
		return nil, unsupported("statement", strings.TrimSpace("ALTER TABLE RENAME "+p.word(0)))
	}
	st := &AlterTableRenameColumn{Name: name}
	var err error
	if st.From, err = p.ident("a column name"); err != nil {
		return nil, err
	}
	if p.peek().isOp(".") {
		return nil, unsupported("statement", "RENAME COLUMN for a nested STRUCT field")
	}
	if err := p.expectKw("TO", "after the column name"); err != nil {
		return nil, err
	}
	if st.To, err = p.ident("the new column name"); err != nil {
		return nil, err
	}
	return st, p.end()
}

// columnDefault parses SET DEFAULT expr | DROP DEFAULT after ALTER COLUMN
// c; w is SET or DROP, and DEFAULT is next but one.
func (p *parser) columnDefault(name QName, col, w string) (Statement, error) {
	p.next()
	p.next()
	st := &AlterColumnDefault{Name: name, Column: col, Drop: w == "DROP"}
	if st.Drop {
		return st, p.end()
	}
	var err error
	st.Default, err = p.exprText("a DEFAULT expression")
	return st, err
}

// defaultClause parses DEFAULT expr in a column definition: the
// expression ends at a "," or ")" outside parentheses, or at a column
// option keyword.
func (p *parser) defaultClause() (string, error) {
	p.next() // DEFAULT
	start := p.peek()
	depth := 0
	last := start
	for t := p.peek(); t.kind != tokEOF; t = p.peek() {
		if depth == 0 && (t.isOp(",") || t.isOp(")") || t.isKw("COMMENT") || (t.isKw("NOT") && p.peekN(1).isKw("NULL"))) {
			break
		}
		if t.isOp("(") {
			depth++
		} else if t.isOp(")") {
			depth--
		}
		last = p.next()
	}
	if last.start == start.start && (start.kind == tokEOF || start.isOp(",") || start.isOp(")")) {
		return "", p.errAt(start, "expected an expression after DEFAULT, found %s", describe(p.src, start))
	}
	text := strings.TrimSpace(p.src[start.start:last.end])
	if _, err := ParseExpr(text); err != nil {
		return "", err
	}
	return text, nil
}
