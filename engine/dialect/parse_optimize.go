package dialect

// Optimize is OPTIMIZE name: compact the table's small data files
// (https://docs.databricks.com/aws/en/sql/language-manual/delta-optimize).
// zbemu rewrites its Delta mirror's files; WHERE and ZORDER BY are not
// supported.
type Optimize struct {
	Name QName
}

func (*Optimize) statement() {}

func (p *parser) optimize() (Statement, error) {
	p.next()
	q, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	switch w := p.word(0); w {
	case "WHERE":
		return nil, unsupported("clause", "OPTIMIZE ... WHERE")
	case "ZORDER":
		return nil, unsupported("clause", "OPTIMIZE ... ZORDER BY")
	case "FULL":
		p.next()
	}
	return &Optimize{Name: q}, p.end()
}
