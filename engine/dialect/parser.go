package dialect

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse parses one Databricks SQL statement (a trailing semicolon is
// allowed). Queries are translated without catalog aliasing; the engine
// normally calls ParseWith.
func Parse(stmt string) (Statement, error) {
	return ParseWith(stmt, TranslateOptions{})
}

// ParseWith is Parse with the options used to translate the SQL of a
// *Query and the AsSelect of a *CreateTable.
func ParseWith(stmt string, opts TranslateOptions) (Statement, error) {
	p, err := newParser(stmt, opts)
	if err != nil {
		return nil, err
	}
	return p.statement()
}

// newParser lexes one statement and positions a parser on its first
// significant token.
func newParser(stmt string, opts TranslateOptions) (*parser, error) {
	all, err := lex(stmt)
	if err != nil {
		return nil, err
	}
	p := &parser{src: stmt, all: all, opts: opts}
	for i, t := range all {
		if t.trivia() {
			continue
		}
		if t.isOp(";") {
			// The Statement Execution API runs one statement per request;
			// a script must be split (see Split) rather than half-run.
			for _, u := range all[i+1:] {
				if !u.trivia() && !u.isOp(";") && u.kind != tokEOF {
					return nil, p.errAt(u, "expected end of statement after \";\", found %s (send one statement at a time)", describe(stmt, u))
				}
			}
			t = token{kind: tokEOF, start: t.start, end: t.start}
		}
		p.toks = append(p.toks, t)
		p.idx = append(p.idx, i)
		if t.kind == tokEOF {
			break
		}
	}
	if p.peek().kind == tokEOF {
		return nil, p.errAt(p.peek(), "empty statement")
	}
	return p, nil
}

// parser walks the significant tokens of one statement.
type parser struct {
	src  string
	all  []token // every token, trivia included
	toks []token // significant tokens, ending with tokEOF
	idx  []int   // idx[i] is the index of toks[i] in all
	pos  int
	opts TranslateOptions
}

func (p *parser) peek() token { return p.at(p.pos) }

// peekN returns the token n places after the current one.
func (p *parser) peekN(n int) token { return p.at(p.pos + n) }

func (p *parser) at(i int) token {
	if i >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[i]
}

func (p *parser) next() token {
	t := p.peek()
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// word returns the n-th next token upper-cased if it is an unquoted word,
// else "".
func (p *parser) word(n int) string {
	if t := p.peekN(n); t.kind == tokIdent {
		return strings.ToUpper(t.val)
	}
	return ""
}

// acceptKw consumes the keyword kw if it is next.
func (p *parser) acceptKw(kw string) bool {
	if p.peek().isKw(kw) {
		p.next()
		return true
	}
	return false
}

// kwBeforeName reports whether the keyword kw is next and is followed by a
// name, so that "USE catalog" (a schema named catalog) still parses.
func (p *parser) kwBeforeName(kw string) bool {
	n := p.peekN(1)
	return p.peek().isKw(kw) && n.kind != tokEOF && !n.isOp(".")
}

func (p *parser) expectKw(kw, context string) error {
	if p.acceptKw(kw) {
		return nil
	}
	return p.errAt(p.peek(), "expected %s %s, found %s", kw, context, describe(p.src, p.peek()))
}

func (p *parser) acceptOp(op string) bool {
	if p.peek().isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op, context string) error {
	if p.acceptOp(op) {
		return nil
	}
	return p.errAt(p.peek(), "expected %q %s, found %s", op, context, describe(p.src, p.peek()))
}

// end checks that the statement is over.
func (p *parser) end() error {
	if t := p.peek(); t.kind != tokEOF {
		return p.errAt(t, "expected end of statement, found %s", describe(p.src, t))
	}
	return nil
}

// ident reads one identifier, quoted or not.
func (p *parser) ident(what string) (string, error) {
	t := p.peek()
	if t.kind != tokIdent && t.kind != tokQuotedIdent {
		return "", p.errAt(t, "expected %s, found %s", what, describe(p.src, t))
	}
	p.next()
	return t.val, nil
}

// qname reads a dotted name of at most max parts.
func (p *parser) qname(what string, max int) (QName, error) {
	first := p.peek()
	var q QName
	for {
		part, err := p.ident("a " + what)
		if err != nil {
			return QName{}, err
		}
		q.Parts = append(q.Parts, part)
		if !p.peek().isOp(".") {
			break
		}
		p.next()
	}
	if len(q.Parts) > max {
		return QName{}, p.errAt(first, "%s %s has %d parts (at most %d allowed)", what, q, len(q.Parts), max)
	}
	return q, nil
}

// stringLit reads a string literal. Adjacent literals are one value, as in
// Databricks ('a' 'b' is 'ab').
func (p *parser) stringLit(what string) (string, error) {
	t := p.peek()
	if t.kind != tokString {
		return "", p.errAt(t, "expected %s (a string literal), found %s", what, describe(p.src, t))
	}
	var b strings.Builder
	for p.peek().kind == tokString {
		b.WriteString(p.next().val)
	}
	return b.String(), nil
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return syntaxErrorAt(p.src, t.start, fmt.Sprintf(format, args...))
}

// describe names a token for "found ..." in error messages.
func describe(src string, t token) string {
	if t.kind == tokEOF {
		return "end of statement"
	}
	text := src[t.start:t.end]
	if utf8.RuneCountInString(text) > 40 {
		text = string([]rune(text)[:37]) + "..."
	}
	return strconv.Quote(text)
}

// statement dispatches on the leading keyword.
func (p *parser) statement() (Statement, error) {
	t := p.peek()
	if t.isOp("(") {
		return p.query()
	}
	kw := ""
	if t.kind == tokIdent {
		kw = strings.ToUpper(t.val)
	}
	switch kw {
	case "CREATE":
		return p.create()
	case "DROP":
		return p.drop()
	case "ALTER":
		return p.alter()
	case "USE":
		return p.use()
	case "SHOW":
		return p.show()
	case "DESCRIBE", "DESC":
		return p.describe()
	case "GRANT":
		return p.grant(false)
	case "REVOKE":
		return p.grant(true)
	case "MERGE":
		return p.merge()
	case "OPTIMIZE":
		return p.optimize()
	case "RESTORE":
		return p.restore()
	}
	if queryKinds[kw] {
		return p.query()
	}
	if construct, ok := unsupportedStatements[kw]; ok {
		if construct == "" {
			construct = kw
		}
		if kw == "APPLY" {
			return nil, &UnsupportedError{Kind: "statement", Construct: construct, Hint: flowHint}
		}
		return nil, unsupported("statement", construct)
	}
	return nil, p.errAt(t, "expected a statement, found %s", describe(p.src, t))
}

// queryKinds are the leading keywords of statements passed to DuckDB.
var queryKinds = map[string]bool{
	"SELECT": true, "WITH": true, "VALUES": true, "FROM": true,
	"INSERT": true, "UPDATE": true, "DELETE": true, "EXPLAIN": true,
}

// unsupportedStatements are Databricks statements zbemu recognises and
// refuses, keyed by leading keyword; the value names the construct when it
// is more than the keyword.
var unsupportedStatements = map[string]string{
	"VACUUM": "", "COPY": "COPY INTO",
	"REFRESH": "", "MSCK": "MSCK REPAIR TABLE", "REPAIR": "REPAIR TABLE",
	"SET": "", "RESET": "", "CACHE": "", "UNCACHE": "", "CLEAR": "CLEAR CACHE",
	"ANALYZE": "ANALYZE TABLE", "FSCK": "FSCK REPAIR TABLE",
	"CONVERT": "CONVERT TO DELTA", "ADD": "", "LIST": "", "GET": "", "PUT": "",
	"REMOVE": "", "TRUNCATE": "TRUNCATE TABLE", "SYNC": "", "CALL": "",
	"DECLARE": "", "EXECUTE": "EXECUTE IMMEDIATE", "BEGIN": "", "COMMIT": "",
	"ROLLBACK": "", "COMMENT": "COMMENT ON", "REPLACE": "REPLACE TABLE",
	"LOAD": "LOAD DATA", "UNDROP": "", "DENY": "", "APPLY": "APPLY CHANGES INTO",
	"GENERATE": "", "TABLE": "TABLE", "INSTALL": "", "ATTACH": "", "DETACH": "",
	"PRAGMA": "",
}

// query handles the statements passed through to DuckDB.
func (p *parser) query() (Statement, error) {
	k := p.pos
	for p.at(k).isOp("(") {
		k++
	}
	head := p.at(k)
	kind := ""
	if head.kind == tokIdent {
		kind = strings.ToUpper(head.val)
	}
	if !queryKinds[kind] {
		return nil, p.errAt(head, "expected a query, found %s", describe(p.src, head))
	}
	var drop map[int]bool
	switch next := p.at(k + 1); kind {
	case "INSERT":
		if next.isKw("OVERWRITE") {
			return nil, &UnsupportedError{Kind: "statement", Construct: "INSERT OVERWRITE", Hint: "use DELETE, then INSERT INTO"}
		}
		// Spark allows INSERT INTO TABLE t; DuckDB does not know the word,
		// so drop it and the space after it.
		if name := p.at(k + 3); next.isKw("INTO") && p.at(k+2).isKw("TABLE") &&
			(name.kind == tokQuotedIdent || name.kind == tokIdent && !queryKinds[strings.ToUpper(name.val)]) {
			drop = map[int]bool{}
			for i := p.idx[k+2]; i < p.idx[k+3]; i++ {
				drop[i] = true
			}
		}
	case "EXPLAIN":
		// DuckDB has no equivalent of Spark's plan modes.
		for _, mode := range []string{"EXTENDED", "CODEGEN", "COST", "FORMATTED"} {
			if next.isKw(mode) {
				return nil, unsupported("statement", "EXPLAIN "+mode)
			}
		}
	}
	calls, qualifiers, paths := references(p.toks[p.pos:])
	names := resultNames(p.toks[p.pos:])
	sql, err := p.translateRest(drop)
	if err != nil {
		return nil, err
	}
	return &Query{SQL: sql, Kind: kind, Calls: calls, Qualifiers: qualifiers, Paths: paths, Names: names}, nil
}

// translateRest translates the statement from the current token to its
// end, leaving out the tokens whose indexes in p.all are in drop.
func (p *parser) translateRest(drop map[int]bool) (string, error) {
	from, to := p.idx[p.pos], p.idx[len(p.toks)-1]
	toks := make([]token, 0, to-from)
	for i := from; i < to; i++ {
		if !drop[i] {
			toks = append(toks, p.all[i])
		}
	}
	p.pos = len(p.toks) - 1
	return translateTokens(p.src, toks, p.opts)
}

// use parses USE CATALOG c, USE [SCHEMA | DATABASE] [c.]s.
func (p *parser) use() (Statement, error) {
	p.next()
	if p.kwBeforeName("CATALOG") {
		p.next()
		q, err := p.qname("catalog name", 1)
		if err != nil {
			return nil, err
		}
		return &UseCatalog{Name: q.Parts[0]}, p.end()
	}
	if p.kwBeforeName("SCHEMA") || p.kwBeforeName("DATABASE") || p.kwBeforeName("NAMESPACE") {
		p.next()
	}
	q, err := p.qname("schema name", 2)
	if err != nil {
		return nil, err
	}
	return &UseSchema{Name: q}, p.end()
}

// show parses SHOW CATALOGS, SCHEMAS, TABLES and GRANTS.
func (p *parser) show() (Statement, error) {
	p.next()
	what := p.word(0)
	if what == "" {
		return nil, p.errAt(p.peek(), "expected what to show (CATALOGS, SCHEMAS, TABLES or GRANTS), found %s", describe(p.src, p.peek()))
	}
	p.next()
	switch what {
	case "CATALOGS":
		like, err := p.like()
		if err != nil {
			return nil, err
		}
		return &ShowCatalogs{Like: like}, p.end()
	case "SCHEMAS", "DATABASES", "NAMESPACES":
		st := &ShowSchemas{}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			q, err := p.qname("catalog name", 1)
			if err != nil {
				return nil, err
			}
			st.Catalog = q.Parts[0]
		}
		like, err := p.like()
		st.Like = like
		if err != nil {
			return nil, err
		}
		return st, p.end()
	case "TABLES":
		st := &ShowTables{}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			q, err := p.qname("schema name", 2)
			if err != nil {
				return nil, err
			}
			st.Schema = q
		}
		like, err := p.like()
		st.Like = like
		if err != nil {
			return nil, err
		}
		return st, p.end()
	case "GRANTS", "GRANT":
		return p.showGrants()
	case "CREATE":
		return p.showCreateTable()
	case "TBLPROPERTIES":
		return p.showTblProperties()
	case "TABLE":
		return nil, unsupported("statement", "SHOW TABLE EXTENDED")
	}
	return nil, unsupported("statement", "SHOW "+what)
}

// like reads the optional [LIKE] 'pattern' of SHOW.
func (p *parser) like() (string, error) {
	if p.acceptKw("LIKE") {
		return p.stringLit("a pattern after LIKE")
	}
	if p.peek().kind == tokString {
		return p.stringLit("a pattern")
	}
	return "", nil
}

func (p *parser) showGrants() (Statement, error) {
	st := &ShowGrants{}
	if t := p.peek(); (t.kind == tokIdent && !t.isKw("ON")) || t.kind == tokQuotedIdent {
		st.Principal = p.next().val
	}
	if p.acceptKw("ON") {
		sec, err := p.securable()
		if err != nil {
			return nil, err
		}
		st.Securable = &sec
	}
	return st, p.end()
}

// describe parses DESCRIBE [TABLE] [EXTENDED] t and DESCRIBE HISTORY t.
func (p *parser) describe() (Statement, error) {
	p.next()
	w := p.word(0)
	named := p.peekN(1).kind != tokEOF && !p.peekN(1).isOp(".")
	switch {
	case w == "HISTORY" && named:
		p.next()
		q, err := p.qname("table name", 3)
		if err != nil {
			return nil, err
		}
		st := &DescribeHistory{Name: q}
		if p.acceptKw("LIMIT") {
			t := p.peek()
			n, err := strconv.Atoi(t.val)
			if t.kind != tokNumber || t.suffix != "" || err != nil || n < 0 {
				return nil, p.errAt(t, "expected a row count after LIMIT, found %s", describe(p.src, t))
			}
			p.next()
			st.Limit = n
		}
		return st, p.end()
	case w == "DETAIL" && named:
		return p.describeDetail()
	case queryKinds[w] || p.peek().isOp("("):
		return nil, unsupported("statement", "DESCRIBE QUERY")
	case describeOther[w] && named:
		return nil, unsupported("statement", "DESCRIBE "+w)
	}
	if p.kwBeforeName("TABLE") {
		p.next()
	}
	st := &DescribeTable{}
	if p.kwBeforeName("EXTENDED") || p.kwBeforeName("FORMATTED") {
		p.next()
		st.Extended = true
	}
	q, err := p.qname("table name", 3)
	if err != nil {
		return nil, err
	}
	st.Name = q
	if t := p.peek(); t.kind == tokIdent || t.kind == tokQuotedIdent {
		if t.isKw("PARTITION") {
			return nil, unsupported("clause", "DESCRIBE TABLE ... PARTITION")
		}
		return nil, unsupported("statement", "DESCRIBE TABLE for a single column")
	}
	return st, p.end()
}

// describeOther are the DESCRIBE targets zbemu does not implement.
var describeOther = map[string]bool{
	"DETAIL": true, "CATALOG": true, "SCHEMA": true, "DATABASE": true,
	"FUNCTION": true, "VOLUME": true, "EXTERNAL": true, "STORAGE": true,
	"CONNECTION": true, "SHARE": true, "RECIPIENT": true, "PROVIDER": true,
	"PROCEDURE": true, "CREDENTIAL": true, "LOCATION": true,
}

// grant parses GRANT privs ON securable TO principal and its REVOKE twin.
func (p *parser) grant(revoke bool) (Statement, error) {
	p.next()
	var privs []string
	for {
		var words []string
		for t := p.peek(); t.kind == tokIdent && !t.isKw("ON"); t = p.peek() {
			words = append(words, strings.ToUpper(p.next().val))
		}
		if len(words) == 0 {
			return nil, p.errAt(p.peek(), "expected a privilege, found %s", describe(p.src, p.peek()))
		}
		privs = append(privs, strings.Join(words, " "))
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectKw("ON", "after the privilege list"); err != nil {
		return nil, err
	}
	on, err := p.securable()
	if err != nil {
		return nil, err
	}
	to := "TO"
	if revoke {
		to = "FROM"
	}
	if err := p.expectKw(to, "before the principal"); err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tokIdent && t.kind != tokQuotedIdent {
		return nil, p.errAt(t, "expected a principal (a user, group or service principal in `backticks`), found %s", describe(p.src, t))
	}
	p.next()
	if err := p.end(); err != nil {
		return nil, err
	}
	if revoke {
		return &Revoke{Privileges: privs, On: on, Principal: t.val}, nil
	}
	return &Grant{Privileges: privs, On: on, Principal: t.val}, nil
}

// securable parses the object of ON: CATALOG [c], SCHEMA s, [TABLE] t.
func (p *parser) securable() (Securable, error) {
	n := p.peekN(1)
	bare := n.kind == tokEOF || n.isKw("TO") || n.isKw("FROM")
	named := !bare && !n.isOp(".")
	switch w := p.word(0); {
	case w == "CATALOG" && bare:
		p.next()
		return Securable{Type: "CATALOG"}, nil
	case w == "CATALOG" && named:
		p.next()
		q, err := p.qname("catalog name", 1)
		return Securable{Type: "CATALOG", Name: q}, err
	case (w == "SCHEMA" || w == "DATABASE") && named:
		p.next()
		q, err := p.qname("schema name", 2)
		return Securable{Type: "SCHEMA", Name: q}, err
	case (w == "TABLE" || w == "VIEW") && named:
		// A view is a table securable in Unity Catalog: ON VIEW v is ON TABLE v.
		p.next()
	case otherSecurables[w] && (named || w == "METASTORE"):
		if w == "EXTERNAL" || w == "STORAGE" || w == "SERVICE" || w == "ANY" {
			w += " " + p.word(1)
		}
		return Securable{}, unsupported("securable", strings.TrimSpace(w))
	}
	q, err := p.qname("table name", 3)
	return Securable{Type: "TABLE", Name: q}, err
}

// otherSecurables are Unity Catalog securables zbemu does not model.
var otherSecurables = map[string]bool{
	"VOLUME": true, "FUNCTION": true, "METASTORE": true,
	"EXTERNAL": true, "STORAGE": true, "CONNECTION": true, "SHARE": true,
	"RECIPIENT": true, "PROVIDER": true, "MODEL": true, "ANY": true,
	"SERVICE": true, "CREDENTIAL": true, "PROCEDURE": true, "CLEAN": true,
	"MATERIALIZED": true,
}
