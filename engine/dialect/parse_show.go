package dialect

// This file parses the statements that show one table's metadata beyond
// DESCRIBE TABLE: DESCRIBE DETAIL, SHOW TBLPROPERTIES and SHOW CREATE TABLE.

// DescribeDetail is DESCRIBE DETAIL name
// (https://docs.databricks.com/aws/en/sql/language-manual/delta-describe-detail).
type DescribeDetail struct {
	Name QName
}

// ShowTblProperties is SHOW TBLPROPERTIES name [(key)]; Key is empty
// when no key is given.
type ShowTblProperties struct {
	Name QName
	Key  string
}

// ShowCreateTable is SHOW CREATE TABLE name [AS SERDE].
type ShowCreateTable struct {
	Name QName
}

func (*DescribeDetail) statement()    {}
func (*ShowTblProperties) statement() {}
func (*ShowCreateTable) statement()   {}

// describeDetail parses the name after DESCRIBE DETAIL.
func (p *parser) describeDetail() (Statement, error) {
	p.next() // DETAIL
	q, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	return &DescribeDetail{Name: q}, p.end()
}

// showTblProperties parses the rest of SHOW TBLPROPERTIES: a table name
// and an optional (key).
func (p *parser) showTblProperties() (Statement, error) {
	q, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	st := &ShowTblProperties{Name: q}
	if p.acceptOp("(") {
		if st.Key, err = p.propertyKey(); err != nil {
			return nil, err
		}
		if err := p.expectOp(")", "after the property key"); err != nil {
			return nil, err
		}
	}
	return st, p.end()
}

// showCreateTable parses the rest of SHOW CREATE TABLE.
func (p *parser) showCreateTable() (Statement, error) {
	if err := p.expectKw("TABLE", "after SHOW CREATE"); err != nil {
		return nil, err
	}
	q, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	if p.acceptKw("AS") {
		return nil, unsupported("clause", "SHOW CREATE TABLE ... AS SERDE")
	}
	return &ShowCreateTable{Name: q}, p.end()
}
