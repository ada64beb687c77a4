package dialect

import "strings"

// drop parses DROP CATALOG, DROP SCHEMA | DATABASE and DROP TABLE.
func (p *parser) drop() (Statement, error) {
	p.next()
	obj := p.word(0)
	if obj == "" {
		return nil, p.errAt(p.peek(), "expected TABLE, SCHEMA or CATALOG after DROP, found %s", describe(p.src, p.peek()))
	}
	switch obj {
	case "TABLE", "SCHEMA", "DATABASE", "CATALOG":
	case "VIEW":
		return p.dropView()
	default:
		construct := "DROP " + obj
		if createModifiers[obj] {
			construct += " " + p.word(1)
		}
		return nil, unsupported("statement", strings.TrimSpace(construct))
	}
	p.next()
	ifExists := p.ifExists()
	switch obj {
	case "TABLE":
		q, err := p.qname("table name", 3)
		if err != nil {
			return nil, err
		}
		if p.peek().isKw("PURGE") {
			return nil, unsupported("clause", "PURGE")
		}
		return &DropTable{Name: q, IfExists: ifExists}, p.end()
	case "CATALOG":
		q, err := p.qname("catalog name", 1)
		if err != nil {
			return nil, err
		}
		st := &DropCatalog{Name: q.Parts[0], IfExists: ifExists, Cascade: p.cascade()}
		return st, p.end()
	}
	q, err := p.qname("schema name", 2)
	if err != nil {
		return nil, err
	}
	st := &DropSchema{Name: q, IfExists: ifExists, Cascade: p.cascade()}
	return st, p.end()
}

// cascade consumes an optional RESTRICT (the default) or CASCADE.
func (p *parser) cascade() bool {
	if p.acceptKw("CASCADE") {
		return true
	}
	p.acceptKw("RESTRICT")
	return false
}

// alter parses the ALTER TABLE forms zbemu implements.
func (p *parser) alter() (Statement, error) {
	p.next()
	if obj := p.word(0); obj == "VIEW" {
		return p.alterView()
	} else if obj != "TABLE" {
		if obj == "" {
			return nil, p.errAt(p.peek(), "expected TABLE after ALTER, found %s", describe(p.src, p.peek()))
		}
		return nil, unsupported("statement", "ALTER "+obj)
	}
	p.next()
	name, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	action := p.word(0)
	switch action {
	case "ADD":
		p.next()
		if p.peek().isKw("CONSTRAINT") {
			return p.addConstraint(name)
		}
		if !p.acceptKw("COLUMNS") && !p.acceptKw("COLUMN") {
			return nil, unsupported("statement", strings.TrimSpace("ALTER TABLE ADD "+p.word(0)))
		}
		cols, err := p.addColumns()
		if err != nil {
			return nil, err
		}
		return &AlterTableAddColumns{Name: name, Columns: cols}, p.end()
	case "SET":
		p.next()
		if !p.acceptKw("TBLPROPERTIES") {
			return nil, unsupported("statement", strings.TrimSpace("ALTER TABLE SET "+p.word(0)))
		}
		props, err := p.properties()
		if err != nil {
			return nil, err
		}
		return &AlterTableSetProperties{Name: name, Properties: props}, p.end()
	case "UNSET":
		p.next()
		if err := p.expectKw("TBLPROPERTIES", "after UNSET"); err != nil {
			return nil, err
		}
		st := &AlterTableUnsetProperties{Name: name, IfExists: p.ifExists()}
		if st.Keys, err = p.propertyKeys(); err != nil {
			return nil, err
		}
		return st, p.end()
	case "ALTER", "CHANGE":
		p.next()
		return p.alterColumn(name, action)
	case "DROP":
		return p.alterDrop(name)
	case "RENAME":
		if p.word(1) == "COLUMN" {
			return p.alterRename(name)
		}
	case "":
		return nil, p.errAt(p.peek(), "expected an ALTER TABLE action (ADD COLUMNS, ALTER COLUMN, SET TBLPROPERTIES, UNSET TBLPROPERTIES), found %s", describe(p.src, p.peek()))
	}
	construct := "ALTER TABLE " + action
	if w := p.word(1); action == "RENAME" || action == "DROP" || action == "REPLACE" || action == "OWNER" {
		construct += " " + w
	}
	return nil, unsupported("statement", strings.TrimSpace(construct))
}

// addColumns parses the column list of ADD COLUMN[S], with or without
// parentheses (Databricks accepts both).
func (p *parser) addColumns() ([]ColumnDef, error) {
	paren := p.acceptOp("(")
	var cols []ColumnDef
	for {
		col, err := p.columnDef(true)
		if err != nil {
			return nil, err
		}
		cols = append(cols, col)
		if p.acceptOp(",") {
			continue
		}
		if paren && !p.acceptOp(")") {
			return nil, p.errAt(p.peek(), "expected \")\" after column list, found %s", describe(p.src, p.peek()))
		}
		return cols, nil
	}
}

// alterColumn parses ALTER | CHANGE [COLUMN] c COMMENT '...' | TYPE t |
// SET TAGS (...) | UNSET TAGS (...).
func (p *parser) alterColumn(name QName, action string) (Statement, error) {
	if p.kwBeforeName("COLUMN") {
		p.next()
	}
	col, err := p.ident("a column name")
	if err != nil {
		return nil, err
	}
	if p.peek().isOp(".") {
		return nil, unsupported("statement", action+" COLUMN for a nested STRUCT field")
	}
	switch w := p.word(0); w {
	case "COMMENT":
		p.next()
		c, err := p.stringLit("a column comment")
		if err != nil {
			return nil, err
		}
		return &AlterColumnComment{Name: name, Column: col, Comment: c}, p.end()
	case "TYPE":
		p.next()
		t, err := p.typeText()
		if err != nil {
			return nil, err
		}
		return &AlterColumnType{Name: name, Column: col, TypeText: t}, p.end()
	case "SET", "UNSET":
		if p.word(1) == "TAGS" {
			p.next()
			p.next()
			return p.columnTags(name, col, w == "UNSET")
		}
		if w == "SET" && p.word(1) == "DEFAULT" {
			return p.columnDefault(name, col, w)
		}
		fallthrough
	case "DROP":
		if w == "DROP" && p.word(1) == "DEFAULT" {
			return p.columnDefault(name, col, w)
		}
		construct := "ALTER COLUMN " + w + " " + p.word(1)
		if p.word(1) == "NOT" {
			construct += " NULL"
		}
		return nil, unsupported("statement", construct)
	case "FIRST", "AFTER", "SYNC":
		return nil, unsupported("statement", "ALTER COLUMN "+w)
	}
	if t := p.peek(); action == "CHANGE" && (t.kind == tokIdent || t.kind == tokQuotedIdent) {
		return nil, &UnsupportedError{Kind: "statement", Construct: "CHANGE COLUMN with a new name or type",
			Hint: "use ALTER COLUMN ... TYPE or ALTER COLUMN ... COMMENT"}
	}
	return nil, p.errAt(p.peek(), "expected COMMENT, TYPE, SET TAGS or UNSET TAGS after the column name, found %s", describe(p.src, p.peek()))
}

// columnTags parses the tag list after SET TAGS or UNSET TAGS. SET takes
// ('key' = 'value', ...) where a key without a value (as Databricks allows
// for key-only tags) has the value ""; UNSET takes (key, ...).
func (p *parser) columnTags(name QName, col string, unset bool) (Statement, error) {
	st := &AlterColumnSetTags{Name: name, Column: col}
	if unset {
		keys, err := p.keyList("tag")
		if err != nil {
			return nil, err
		}
		st.Unset = keys
		return st, p.end()
	}
	if err := p.expectOp("(", "before the tag list"); err != nil {
		return nil, err
	}
	st.Tags = map[string]string{}
	for {
		kt := p.peek()
		k, err := p.propertyKey()
		if err != nil {
			return nil, err
		}
		if _, dup := st.Tags[k]; dup {
			return nil, p.errAt(kt, "duplicate tag %q", k)
		}
		st.Tags[k] = ""
		if p.acceptOp("=") {
			if st.Tags[k], err = p.propertyValue(); err != nil {
				return nil, err
			}
		}
		if p.acceptOp(",") {
			continue
		}
		if err := p.expectOp(")", "after the tag list"); err != nil {
			return nil, err
		}
		return st, p.end()
	}
}

// properties parses ('key' = 'value', ...). Keys may also be dotted names
// (delta.appendOnly = true) and the "=" is optional, as in Databricks.
func (p *parser) properties() (map[string]string, error) {
	if err := p.expectOp("(", "before the property list"); err != nil {
		return nil, err
	}
	props := map[string]string{}
	for {
		kt := p.peek()
		k, err := p.propertyKey()
		if err != nil {
			return nil, err
		}
		if _, dup := props[k]; dup {
			return nil, p.errAt(kt, "duplicate property key %q", k)
		}
		p.acceptOp("=")
		if props[k], err = p.propertyValue(); err != nil {
			return nil, err
		}
		if p.acceptOp(",") {
			continue
		}
		return props, p.expectOp(")", "after the property list")
	}
}

// propertyKeys parses (key, ...) of UNSET TBLPROPERTIES.
func (p *parser) propertyKeys() ([]string, error) { return p.keyList("property") }

// keyList parses (key, ...); what names the keys in error messages.
func (p *parser) keyList(what string) ([]string, error) {
	if err := p.expectOp("(", "before the "+what+" keys"); err != nil {
		return nil, err
	}
	var keys []string
	for {
		k, err := p.propertyKey()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
		if p.acceptOp(",") {
			continue
		}
		return keys, p.expectOp(")", "after the "+what+" keys")
	}
}

func (p *parser) propertyKey() (string, error) {
	if p.peek().kind == tokString {
		return p.stringLit("a property key")
	}
	var parts []string
	for {
		part, err := p.ident("a property key")
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
		if !p.acceptOp(".") {
			return strings.Join(parts, "."), nil
		}
	}
}

// propertyValue reads a string, number or boolean. Numbers keep their
// text; booleans are lower-cased as Databricks stores them.
func (p *parser) propertyValue() (string, error) {
	t := p.peek()
	switch {
	case t.kind == tokString:
		return p.stringLit("a property value")
	case t.kind == tokNumber:
		p.next()
		return p.src[t.start:t.end], nil
	case t.isOp("-") && p.peekN(1).kind == tokNumber && p.peekN(1).start == t.end:
		p.next()
		n := p.next()
		return p.src[t.start:n.end], nil
	case t.isKw("TRUE") || t.isKw("FALSE"):
		p.next()
		return strings.ToLower(t.val), nil
	}
	return "", p.errAt(t, "expected a property value (string, number or boolean), found %s", describe(p.src, t))
}
