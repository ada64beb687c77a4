package dialect

// RestoreTable is RESTORE [TABLE] name [TO] VERSION AS OF n | TIMESTAMP AS
// OF expr (https://docs.databricks.com/aws/en/sql/language-manual/delta-restore):
// the table's rows become those of the version. To is read like a time
// travel clause; its Table is Name.
type RestoreTable struct {
	Name QName
	To   TimeTravelRef
}

func (*RestoreTable) statement() {}

// restore parses RESTORE; the version clause is read by the translator's
// time travel clause reader, so it accepts and translates what a SELECT's
// does.
func (p *parser) restore() (Statement, error) {
	p.next()
	if p.kwBeforeName("TABLE") {
		p.next()
	}
	q, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	p.acceptKw("TO")
	st := &RestoreTable{Name: q, To: TimeTravelRef{Table: q}}
	all := p.all[:p.idx[len(p.toks)-1]] // without EOF
	tr := &translator{src: p.src, opts: p.opts}
	k := p.idx[p.pos]
	end, found, err := tr.timeTravelClause(all, k, k, &st.To)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, p.errAt(p.peek(), "expected VERSION AS OF or TIMESTAMP AS OF after RESTORE TABLE %s, found %s", q, describe(p.src, p.peek()))
	}
	for p.pos < len(p.toks)-1 && p.idx[p.pos] <= end {
		p.pos++
	}
	return st, p.end()
}
