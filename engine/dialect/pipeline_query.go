package dialect

import (
	"strconv"
	"strings"
)

// refSpan is where one DatasetRef is written in a dataset's query tokens:
// query[first:last+1], STREAM(...) wrapper and LIVE. prefix included.
type refSpan struct{ first, last int }

// flowHint says what to write instead of the change-data-capture and flow
// statements zbemu's pipelines do not implement.
const flowHint = "define the dataset by its query: CREATE OR REFRESH STREAMING TABLE name AS SELECT ... FROM STREAM(source)"

// findRefs lists the relations a dataset's query reads, in order: the
// names right after FROM, JOIN or a comma of a FROM list, at any depth
// (subqueries and CTE bodies included), as STREAM(name), STREAM name,
// LIVE.name or a plain name of 1 to 3 parts. A one-part name defined by a
// WITH clause anywhere in the query is a CTE, not a reference; a name
// followed by "(" is a table-valued function.
func findRefs(src string, q []token) ([]DatasetRef, []refSpan, error) {
	ctes := cteNames(q)
	type level struct{ from, call bool }
	stack := []level{{}}
	var refs []DatasetRef
	var spans []refSpan
	item := false // the next token starts a FROM item
	for k := nextSig(q, -1); k < len(q); k = nextSig(q, k) {
		t := q[k]
		if item {
			item = false
			ref, last, ok, err := readRef(src, q, k)
			if err != nil {
				return nil, nil, err
			}
			if ok && !(len(ref.Name.Parts) == 1 && !ref.Live && !ref.Stream && ctes[strings.ToLower(ref.Name.Parts[0])]) {
				refs, spans = append(refs, ref), append(spans, refSpan{k, last})
				k = last
				continue
			}
		}
		top := &stack[len(stack)-1]
		switch {
		case t.isOp("("):
			p := prevSig(q, k)
			stack = append(stack, level{call: p >= 0 && isFuncName(q[p])})
		case t.isOp(")"):
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case top.call:
			// FROM inside a call is EXTRACT(DAY FROM ts), TRIM(x FROM s).
		case t.isKw("FROM") || t.isKw("JOIN"):
			top.from, item = true, true
		case t.isOp(","):
			item = top.from
		case t.kind == tokIdent && fromEnds[strings.ToUpper(t.val)]:
			top.from = false
		}
	}
	return refs, spans, nil
}

// fromEnds are the keywords that end a FROM list, so that a comma after
// them separates something else.
var fromEnds = map[string]bool{
	"WHERE": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true,
	"OFFSET": true, "WINDOW": true, "QUALIFY": true, "UNION": true,
	"INTERSECT": true, "EXCEPT": true, "MINUS": true, "SELECT": true,
	"LATERAL": true, "CLUSTER": true, "DISTRIBUTE": true, "SORT": true,
	"PIVOT": true, "UNPIVOT": true,
}

// readRef reads the reference at q[k], a FROM item. ok is false when the
// item is something else: a subquery, VALUES, LATERAL, a table-valued
// function.
func readRef(src string, q []token, k int) (ref DatasetRef, last int, ok bool, err error) {
	t := q[k]
	if t.isKw("STREAM") {
		n := nextSig(q, k)
		switch {
		case isOpAt(q, n, "("):
			c := matchClose(nil, q, n, "(", ")")
			ref, last, ok, err = readName(src, q, nextSig(q, n))
			if err != nil {
				return ref, k, false, err
			}
			if c < 0 || !ok || nextSig(q, last) != c {
				return ref, k, false, streamArgError(src, q, n)
			}
			ref.Stream = true
			return ref, c, true, nil
		case isName(q, n) && !isAliasStop(q[n]):
			ref, last, ok, err = readName(src, q, n)
			if err != nil {
				return ref, k, false, err
			}
			if !ok {
				return ref, k, false, streamArgError(src, q, n)
			}
			ref.Stream = true
			return ref, last, true, nil
		}
		// A table named stream.
	}
	return readName(src, q, k)
}

// readName reads [LIVE.]name at q[k]; ok is false if q[k] does not start
// a table name (a keyword, "(", a function call).
func readName(src string, q []token, k int) (ref DatasetRef, last int, ok bool, err error) {
	if !isName(q, k) || q[k].kind == tokIdent && notTable[strings.ToUpper(q[k].val)] {
		return ref, k, false, nil
	}
	last, parts := nameEnd(q, k)
	if isOpAt(q, nextSig(q, last), "(") {
		return ref, k, false, tvfError(q, last)
	}
	for i := k; i <= last; i = nextSig(q, nextSig(q, i)) {
		ref.Name.Parts = append(ref.Name.Parts, q[i].val)
	}
	if parts > 1 && q[k].isKw("LIVE") {
		ref.Live, ref.Name.Parts = true, ref.Name.Parts[1:]
	}
	if len(ref.Name.Parts) > 3 {
		return ref, k, false, syntaxErrorAt(src, q[k].start, "table name "+ref.Name.String()+" has "+strconv.Itoa(len(ref.Name.Parts))+" parts (at most 3 allowed)")
	}
	return ref, last, true, nil
}

// notTable are the words that can follow FROM or JOIN without naming a
// table.
var notTable = map[string]bool{
	"SELECT": true, "VALUES": true, "LATERAL": true, "WITH": true, "TABLE": true, "UNNEST": true,
}

// tvfError refuses the table-valued functions of Databricks' streaming
// sources in a dataset's query: a zbemu pipeline reads tables. Others
// (range, event_log) are left to the translator and the engine.
func tvfError(q []token, last int) error {
	switch name := strings.ToLower(q[last].val); name {
	case "read_files", "cloud_files", "read_kafka", "read_kinesis", "read_pubsub", "read_pulsar":
		return &UnsupportedError{Kind: "function", Construct: name + " in a pipeline",
			Hint: "zbemu pipelines read tables; read the Zerobus table with STREAM(catalog.schema.table)"}
	}
	return nil
}

// streamArgError is the error for STREAM followed by something that is not
// a table name.
func streamArgError(src string, q []token, n int) error {
	if k := nextSig(q, n); isOpAt(q, n, "(") && isName(q, k) {
		if last, _ := nameEnd(q, k); isOpAt(q, nextSig(q, last), "(") {
			return &UnsupportedError{Kind: "syntax", Construct: "STREAM over a table-valued function (" + q[last].val + ")",
				Hint: "zbemu pipelines read tables: STREAM(catalog.schema.table) or STREAM(dataset)"}
		}
	}
	at := n
	if isOpAt(q, n, "(") {
		at = nextSig(q, n)
	}
	if at >= len(q) {
		return syntaxErrorAt(src, q[len(q)-1].end, "expected a table name after STREAM, found end of statement")
	}
	return syntaxErrorAt(src, q[at].start, "expected a table name after STREAM (STREAM(name) or STREAM name), found "+describe(src, q[at]))
}

// cteNames returns the lower-case names that WITH clauses of the query
// define.
func cteNames(q []token) map[string]bool {
	names := map[string]bool{}
	for k := nextSig(q, -1); k < len(q); k = nextSig(q, k) {
		if !q[k].isKw("WITH") {
			continue
		}
		n := nextSig(q, k)
		if n < len(q) && q[n].isKw("RECURSIVE") {
			n = nextSig(q, n)
		}
		for isName(q, n) {
			names[strings.ToLower(q[n].val)] = true
			n = nextSig(q, n)
			if isOpAt(q, n, "(") { // column list
				if n = matchClose(nil, q, n, "(", ")"); n < 0 {
					break
				}
				n = nextSig(q, n)
			}
			if n >= len(q) || !q[n].isKw("AS") {
				break
			}
			n = nextSig(q, n)
			if n < len(q) && q[n].isKw("NOT") {
				n = nextSig(q, n)
			}
			if n < len(q) && q[n].isKw("MATERIALIZED") {
				n = nextSig(q, n)
			}
			if !isOpAt(q, n, "(") {
				break
			}
			if n = matchClose(nil, q, n, "(", ")"); n < 0 || !isOpAt(q, nextSig(q, n), ",") {
				break
			}
			n = nextSig(q, nextSig(q, n))
		}
	}
	return names
}

// isAliasStop reports whether t, after a relation, is a keyword rather
// than the relation's alias.
func isAliasStop(t token) bool {
	if t.kind != tokIdent {
		return false
	}
	w := strings.ToUpper(t.val)
	return clauseWords[w] && w != "AS" || aliasStops[w]
}

var aliasStops = map[string]bool{
	"NATURAL": true, "ANTI": true, "SEMI": true, "TABLESAMPLE": true, "FOR": true,
	"MINUS": true, "SELECT": true, "WITH": true,
}

// translateQuery implements TranslateQuery: the query's tokens with each
// reference replaced by one tokRelation token carrying resolve's text,
// translated in one pass so that constructs around a reference (a call
// whose argument is a subquery) translate as in Translate.
func (d *CreateDataset) translateQuery(opts TranslateOptions, resolve func(DatasetRef) (string, error)) (string, error) {
	toks := make([]token, 0, len(d.query))
	prev := 0
	for i, s := range d.spans {
		rel, err := resolve(d.Refs[i])
		if err != nil {
			return "", err
		}
		if n := nextSig(d.query, s.last); n >= len(d.query) || !isName(d.query, n) || isAliasStop(d.query[n]) {
			parts := d.Refs[i].Name.Parts
			rel += " AS " + duckIdent(parts[len(parts)-1])
		}
		toks = append(toks, d.query[prev:s.first]...)
		toks = append(toks, token{kind: tokRelation, start: d.query[s.first].start, end: d.query[s.last].end, val: rel})
		prev = s.last + 1
	}
	toks = append(toks, d.query[prev:]...)
	return translateTokens(d.src, toks, opts)
}
