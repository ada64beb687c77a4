package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// Errors of the Manager API. Each wraps the engine sentinel whose category
// (error_code, HTTP status) the REST layer answers with.
var (
	// ErrPipelineNotFound: no pipeline has the id (RESOURCE_DOES_NOT_EXIST).
	ErrPipelineNotFound = &categoryError{"pipeline does not exist", engine.ErrStatementNotFound}
	// ErrUpdateNotFound: the pipeline has no update with the id (RESOURCE_DOES_NOT_EXIST).
	ErrUpdateNotFound = &categoryError{"update does not exist", engine.ErrStatementNotFound}
	// ErrUpdateActive: an update of the pipeline is already running
	// (RESOURCE_ALREADY_EXISTS, HTTP 409).
	ErrUpdateActive = &categoryError{"an update is already active", engine.ErrAlreadyExists}
)

// categoryError is a sentinel of this package that belongs to an engine
// error category.
type categoryError struct {
	msg string
	cat error
}

func (e *categoryError) Error() string { return e.msg }
func (e *categoryError) Unwrap() error { return e.cat }

// Pipelines are stored in their target catalog's hidden schema, beside the
// datasets they publish, their read positions and their event log:
// __zbemu.pipelines (one JSON row per pipeline), __zbemu.pipeline_updates,
// __zbemu.pipeline_offsets and __zbemu.pipeline_events. A catalog dropped
// with its pipelines' datasets takes the pipelines with it.

// storedPipeline is the persisted form of a Pipeline.
type storedPipeline struct {
	ID      string    `json:"id"`
	Spec    Spec      `json:"spec"`
	Owner   string    `json:"owner"`
	State   string    `json:"state"`
	Created time.Time `json:"created"`
}

func (m *Manager) savePipeline(ctx context.Context, p Pipeline) error {
	b, err := json.Marshal(storedPipeline{ID: p.ID, Spec: p.Spec, Owner: p.Owner, State: p.State, Created: p.Created})
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx) // the stored state must follow what happened
	return m.eng.CatalogTx(ctx, p.Spec.Catalog, func(tx *sql.Tx, db string) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+db+".__zbemu.pipelines WHERE pipeline_id = ?", p.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO "+db+".__zbemu.pipelines VALUES (?, ?)", p.ID, string(b))
		return err
	})
}

func (m *Manager) saveUpdate(ctx context.Context, catalog string, u Update) error {
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	return m.eng.CatalogTx(ctx, catalog, func(tx *sql.Tx, db string) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+db+".__zbemu.pipeline_updates WHERE pipeline_id = ? AND update_id = ?", u.PipelineID, u.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO "+db+".__zbemu.pipeline_updates VALUES (?, ?, ?, ?)", u.PipelineID, u.ID, u.Created, string(b))
		return err
	})
}

// forgetPipeline removes a pipeline's rows from its catalog.
func (m *Manager) forgetPipeline(ctx context.Context, catalog, id string) error {
	return m.eng.CatalogTx(ctx, catalog, func(tx *sql.Tx, db string) error {
		for _, t := range []string{"pipelines", "pipeline_updates", "pipeline_offsets", "pipeline_events"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+db+".__zbemu."+t+" WHERE pipeline_id = ?", id); err != nil {
				return err
			}
		}
		return nil
	})
}

// load reads every catalog's pipelines and their updates (newest first).
func (m *Manager) load(ctx context.Context) error {
	for _, c := range m.eng.ListCatalogs(ctx) {
		err := m.eng.CatalogTx(ctx, c.Name, func(tx *sql.Tx, db string) error {
			rows, err := tx.QueryContext(ctx, "SELECT meta FROM "+db+".__zbemu.pipelines")
			if err != nil {
				return err
			}
			for rows.Next() {
				var meta string
				var sp storedPipeline
				if err := rows.Scan(&meta); err != nil {
					rows.Close()
					return err
				}
				if err := json.Unmarshal([]byte(meta), &sp); err != nil {
					rows.Close()
					return fmt.Errorf("decode pipeline in catalog %s: %w", c.Name, err)
				}
				m.pipes[sp.ID] = &pipe{p: Pipeline{ID: sp.ID, Spec: sp.Spec, Owner: sp.Owner, State: sp.State, Created: sp.Created}}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			urows, err := tx.QueryContext(ctx, "SELECT meta FROM "+db+".__zbemu.pipeline_updates ORDER BY created DESC")
			if err != nil {
				return err
			}
			defer urows.Close()
			for urows.Next() {
				var meta string
				var u Update
				if err := urows.Scan(&meta); err != nil {
					return err
				}
				if err := json.Unmarshal([]byte(meta), &u); err != nil {
					return fmt.Errorf("decode pipeline update in catalog %s: %w", c.Name, err)
				}
				if p := m.pipes[u.PipelineID]; p != nil {
					p.updates = append(p.updates, u)
				}
			}
			return urows.Err()
		})
		if err != nil && !errors.Is(err, engine.ErrCatalogNotFound) {
			return err
		}
	}
	return nil
}
