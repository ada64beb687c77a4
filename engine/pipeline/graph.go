package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/dialect"
)

// dataset is one CREATE ... of a pipeline's sources, resolved against the
// pipeline's target catalog and schema.
type dataset struct {
	def  *dialect.CreateDataset
	name string // as written (last part), the flow's name
	// full is catalog.schema.name, lower-case, of a published dataset;
	// empty for pipeline views (not published).
	full string
	refs []resolvedRef
}

// resolvedRef is a relation a dataset reads: another dataset of the
// pipeline (ds) or a table of the catalog (table, catalog.schema.name).
type resolvedRef struct {
	ref   dialect.DatasetRef
	ds    *dataset
	table string
}

// published reports whether the dataset is a table of the catalog.
func (d *dataset) published() bool { return d.full != "" }

// streaming reports whether the dataset's flow appends new source rows
// (a streaming table) rather than recomputing (a materialized view).
func (d *dataset) streaming() bool { return d.def.Kind == dialect.DatasetStreamingTable }

// graph is a pipeline's datasets in dependency order.
type graph struct {
	order  []*dataset
	byName map[string]*dataset // lower-case name
}

// source is one SQL text of a pipeline and where it comes from (a file's
// path, or "inline SQL"), for error messages.
type source struct{ name, text string }

// readSources returns the SQL texts of a spec: its libraries (files,
// notebooks, globs; relative paths against workDir) and the inline SQL.
func readSources(spec Spec, workDir string) ([]source, error) {
	var out []source
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(workDir, p)
	}
	for i, lib := range spec.Libraries {
		var paths []string
		switch {
		case lib.File != "":
			paths = []string{abs(lib.File)}
		case lib.Notebook != "":
			paths = []string{abs(lib.Notebook)}
		case lib.Glob != "":
			m, err := filepath.Glob(abs(lib.Glob))
			if err != nil {
				return nil, fmt.Errorf("%w: libraries[%d].glob.include %q: %v", engine.ErrInvalidArgument, i, lib.Glob, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%w: libraries[%d].glob.include %q matches no file", engine.ErrInvalidArgument, i, lib.Glob)
			}
			sort.Strings(m)
			paths = m
		default:
			return nil, fmt.Errorf("%w: libraries[%d] names no file (expected file.path, notebook.path or glob.include)", engine.ErrInvalidArgument, i)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%w: libraries[%d]: cannot read %s: %v", engine.ErrInvalidArgument, i, p, err)
			}
			out = append(out, source{p, string(b)})
		}
	}
	if strings.TrimSpace(spec.SQL) != "" {
		out = append(out, source{"inline SQL", spec.SQL})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the pipeline has no source: add libraries (file.path, notebook.path or glob.include) with SQL files", engine.ErrInvalidArgument)
	}
	return out, nil
}

// parseSources parses every statement of the sources as a dataset
// definition. SET key = value lines (pipelines.trigger.interval, ...)
// configure Databricks' runtime and are skipped.
func parseSources(sources []source, opts dialect.TranslateOptions) ([]*dialect.CreateDataset, error) {
	var defs []*dialect.CreateDataset
	for _, src := range sources {
		stmts, err := dialect.Split(src.text)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", engine.ErrInvalidArgument, src.name, err)
		}
		for _, text := range stmts {
			if setRE.MatchString(text) {
				continue
			}
			d, err := dialect.ParseDataset(text, opts)
			if errors.Is(err, dialect.ErrUnsupported) {
				return nil, fmt.Errorf("%w: %s: %v", engine.ErrUnsupported, src.name, err)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", engine.ErrInvalidArgument, src.name, err)
			}
			defs = append(defs, d)
		}
	}
	return defs, nil
}

// setRE matches a SET statement of a pipeline source.
var setRE = regexp.MustCompile(`(?is)^\s*SET\s`)

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}

// buildGraph resolves the datasets' names and references against the
// target catalog and schema, and orders them so that each dataset comes
// after those it reads. A reference to an unknown LIVE dataset, a cycle,
// a duplicate name and a stream read of a materialized view fail here,
// before anything runs.
func buildGraph(catalog, schemaName string, defs []*dialect.CreateDataset) (*graph, error) {
	g := &graph{byName: map[string]*dataset{}}
	target := strings.ToLower(catalog + "." + schemaName)
	var all []*dataset
	for _, def := range defs {
		if len(def.Name.Parts) == 0 {
			return nil, fmt.Errorf("%w: a dataset definition has no name", engine.ErrInvalidArgument)
		}
		name := def.Name.Parts[len(def.Name.Parts)-1]
		full := qualifyIn(catalog, schemaName, def.Name.Parts)
		if !strings.HasPrefix(full, strings.ToLower(catalog)+".") {
			return nil, fmt.Errorf("%w: dataset %s must be in the pipeline's catalog %s (name it schema.%s or %s)",
				engine.ErrInvalidArgument, def.Name, catalog, name, name)
		}
		key := strings.ToLower(name)
		if g.byName[key] != nil {
			return nil, fmt.Errorf("%w: dataset %s is defined more than once in the pipeline", engine.ErrInvalidArgument, name)
		}
		d := &dataset{def: def, name: name}
		if def.Kind != dialect.DatasetView && !def.Temporary {
			d.full = full
		}
		g.byName[key] = d
		all = append(all, d)
	}
	for _, d := range all {
		for _, ref := range d.def.Refs {
			r, err := g.resolve(target, catalog, schemaName, ref)
			if err != nil {
				return nil, fmt.Errorf("%w: dataset %s: %v", engine.ErrInvalidArgument, d.name, err)
			}
			if r.ds != nil && ref.Stream && r.ds.def.Kind == dialect.DatasetMaterializedView && r.ds.published() {
				return nil, fmt.Errorf("%w: dataset %s reads STREAM(%s), but %s is a materialized view, which is recomputed rather than appended to; read it without STREAM(...)",
					engine.ErrInvalidArgument, d.name, ref.Name, r.ds.name)
			}
			d.refs = append(d.refs, r)
		}
		if !d.published() && len(d.def.Expectations) > 0 {
			return nil, fmt.Errorf("%w: expectations on pipeline view %s are not supported by zbemu; put them on a table that reads the view",
				engine.ErrInvalidArgument, d.name)
		}
		if d.streaming() && !d.readsStream() {
			return nil, fmt.Errorf("%w: streaming table %s reads no stream: read its source with STREAM(name) (or define it as a MATERIALIZED VIEW)",
				engine.ErrInvalidArgument, d.name)
		}
	}
	// Depth-first topological order; a dataset met again while it is on
	// the path is a cycle.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[*dataset]int{}
	var path []string
	var visit func(d *dataset) error
	visit = func(d *dataset) error {
		switch state[d] {
		case done:
			return nil
		case onPath:
			i := 0
			for path[i] != d.name {
				i++
			}
			return fmt.Errorf("%w: the datasets read each other in a cycle: %s -> %s", engine.ErrInvalidArgument, strings.Join(path[i:], " -> "), d.name)
		}
		state[d] = onPath
		path = append(path, d.name)
		for _, r := range d.refs {
			if r.ds != nil {
				if err := visit(r.ds); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[d] = done
		g.order = append(g.order, d)
		return nil
	}
	for _, d := range all {
		if err := visit(d); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// readsStream reports whether the dataset reads a stream, directly or
// through a pipeline view.
func (d *dataset) readsStream() bool {
	for _, r := range d.refs {
		if r.ref.Stream || r.ds != nil && !r.ds.published() && r.ds.readsStream() {
			return true
		}
	}
	return false
}

// resolve finds what a reference names. LIVE.x must be a dataset of the
// pipeline; a bare name is a dataset of the pipeline if there is one, else
// a table of the target schema; schema.x and catalog.schema.x are tables,
// or datasets of the pipeline when they name one's published location.
func (g *graph) resolve(target, catalog, schemaName string, ref dialect.DatasetRef) (resolvedRef, error) {
	parts := ref.Name.Parts
	if len(parts) == 0 || len(parts) > 3 {
		return resolvedRef{}, fmt.Errorf("reference %s is not a dataset or table name", ref.Name)
	}
	last := strings.ToLower(parts[len(parts)-1])
	if ref.Live {
		d := g.byName[last]
		if d == nil || len(parts) > 1 {
			return resolvedRef{}, fmt.Errorf("LIVE.%s is not a dataset of this pipeline (datasets: %s)", ref.Name, strings.Join(g.names(), ", "))
		}
		return resolvedRef{ref: ref, ds: d}, nil
	}
	full := qualifyIn(catalog, schemaName, parts)
	if d := g.byName[last]; d != nil && (len(parts) == 1 || d.full == full) {
		return resolvedRef{ref: ref, ds: d}, nil
	}
	return resolvedRef{ref: ref, table: full}, nil
}

func (g *graph) names() []string {
	out := make([]string, 0, len(g.byName))
	for _, d := range g.byName {
		out = append(out, d.name)
	}
	sort.Strings(out)
	return out
}

// qualifyIn completes a 1–3 part name in catalog.schema, lower-case.
func qualifyIn(catalog, schemaName string, parts []string) string {
	switch len(parts) {
	case 1:
		return strings.ToLower(catalog + "." + schemaName + "." + parts[0])
	case 2:
		return strings.ToLower(catalog + "." + parts[0] + "." + parts[1])
	}
	return strings.ToLower(strings.Join(parts, "."))
}

// compile reads, parses and resolves a spec's sources.
func compile(spec Spec, workDir string, opts dialect.TranslateOptions) (*graph, error) {
	srcs, err := readSources(spec, workDir)
	if err != nil {
		return nil, err
	}
	for i := range srcs {
		srcs[i].text = substitute(srcs[i].text, spec.Configuration)
	}
	defs, err := parseSources(srcs, opts)
	if err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("%w: the pipeline's sources define no dataset", engine.ErrInvalidArgument)
	}
	return buildGraph(spec.Catalog, spec.Schema, defs)
}

// substitute replaces ${key} with the pipeline's configuration value of
// key, as pipelines do in their SQL sources
// (https://docs.databricks.com/aws/en/ldp/parameters). Unknown keys stay.
func substitute(src string, conf map[string]string) string {
	if len(conf) == 0 {
		return src
	}
	pairs := make([]string, 0, 2*len(conf))
	for k, v := range conf {
		pairs = append(pairs, "${"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(src)
}
