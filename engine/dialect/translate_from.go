package dialect

import (
	"strconv"
	"strings"
)

// eventLog is the event_log table-valued function, event_log('<pipeline
// id>') or event_log(TABLE(name)), which the engine replaces by a relation
// over zbemu's event log
// (https://docs.databricks.com/aws/en/sql/language-manual/functions/event_log).
func eventLog(c *call) (string, error) {
	if err := c.arity(1); err != nil {
		return "", err
	}
	var ref EventLogRef
	if id, ok := c.str(0); ok {
		ref.PipelineID = id
	} else {
		sig := sigTokens(c.raw[0])
		if len(sig) > 1 && sig[0].isKw("TABLE") {
			name := sig[1:]
			if name[0].isOp("(") && name[len(name)-1].isOp(")") {
				name = name[1 : len(name)-1]
			}
			if isDottedName(name) && len(name) <= 5 {
				for k := 0; k < len(name); k += 2 {
					ref.Table.Parts = append(ref.Table.Parts, name[k].val)
				}
			}
		}
		if len(ref.Table.Parts) == 0 {
			at := c.name
			if len(sig) > 0 {
				at = sig[0]
			}
			return "", syntaxErrorAt(c.tr.src, at.start, "EVENT_LOG takes a pipeline id string or TABLE(name) of a streaming table or materialized view, found "+describe(c.tr.src, at))
		}
	}
	if c.tr.opts.EventLog == nil {
		return "", &UnsupportedError{Kind: "function", Construct: "event_log", Hint: "the pipeline event log is not available here"}
	}
	return c.tr.opts.EventLog(ref)
}

// valuesTable renders an inline table in FROM position, VALUES rows
// [[AS] alias [(columns)]] (toks[i] is VALUES), as DuckDB's parenthesised
// form, (VALUES rows) AS alias(columns). Spark also allows rows without
// parentheses (VALUES 1, 2) and no alias; its columns are then col1,
// col2, ... (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-qry-select-inline-table).
// ok is false when toks[i] is not in FROM position.
func (tr *translator) valuesTable(o *output, toks []token, i int) (int, bool, error) {
	p := prevSig(toks, i)
	if p < 0 || !(toks[p].isKw("FROM") || toks[p].isKw("JOIN") || toks[p].isOp(",")) {
		return i, false, nil
	}
	// Find the rows and the alias first and render only then, so that
	// VALUES that turns out not to be an inline table costs no rendering
	// (nested ones would otherwise be rendered again and again).
	var rows [][2]int
	width, last := 0, i
	for k := nextSig(toks, i); ; {
		end := k
		switch {
		case isOpAt(toks, k, "("):
			if end = matchClose(&tr.steps, toks, k, "(", ")"); end < 0 {
				return i, false, nil
			}
			if width == 0 {
				width = len(splitArgs(&tr.steps, toks[k+1:end]))
			}
		case k < len(toks) && isRowLiteral(toks[k]):
			width = max(width, 1)
		default:
			return i, false, nil // VALUES that is not an inline table
		}
		rows, last = append(rows, [2]int{k, end}), end
		comma := nextSig(toks, end)
		n := nextSig(toks, comma)
		if !isOpAt(toks, comma, ",") || !isOpAt(toks, n, "(") && !(n < len(toks) && isRowLiteral(toks[n])) {
			break // no comma, or one that separates FROM items
		}
		k = n
	}
	alias := "inline_table" // Spark's name for an unaliased inline table
	var cols []string
	k := nextSig(toks, last)
	if k < len(toks) && toks[k].isKw("AS") && isName(toks, nextSig(toks, k)) {
		k = nextSig(toks, k)
	}
	if isName(toks, k) && !isAliasStop(toks[k]) && !toks[k].isKw("AS") {
		alias, last = identText(toks[k]), k
		if open := nextSig(toks, k); isOpAt(toks, open, "(") {
			close := matchClose(&tr.steps, toks, open, "(", ")")
			if close < 0 {
				return i, false, nil
			}
			for _, c := range splitArgs(&tr.steps, toks[open+1:close]) {
				if len(c) != 1 || !isName(c, 0) {
					return i, false, tr.errAt(toks, open, "column names in the alias of VALUES")
				}
				cols = append(cols, identText(c[0]))
			}
			last = close
		}
	}
	texts := make([]string, len(rows))
	for r, row := range rows {
		text, err := tr.render(toks[row[0] : row[1]+1])
		if err != nil {
			return i, false, err
		}
		texts[r] = strings.TrimSpace(text)
		if row[0] == row[1] {
			texts[r] = "(" + texts[r] + ")"
		}
	}
	for len(cols) < width {
		cols = append(cols, "col"+strconv.Itoa(len(cols)+1))
	}
	o.writeOperand("(VALUES " + strings.Join(texts, ", ") + ") AS " + alias + "(" + strings.Join(cols, ", ") + ")")
	return last, true, nil
}

// isRowLiteral reports whether t is a one-token row of VALUES written
// without parentheses: a literal or parameter.
func isRowLiteral(t token) bool {
	switch t.kind {
	case tokString, tokNumber, tokParam:
		return true
	}
	return t.isKw("NULL") || t.isKw("TRUE") || t.isKw("FALSE")
}
