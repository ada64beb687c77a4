package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestUpdateCatalogAndSchemaSurviveRestart: a PATCH of a catalog or
// schema is written with its metadata, so a restart shows it; an update
// naming an unknown owner changes nothing.
func TestUpdateCatalogAndSchemaSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEngine(t, "disk", dir)
	p, _, err := e.CreatePrincipal(ctx, "new-owner")
	if err != nil {
		t.Fatal(err)
	}
	comment, props := "changed", map[string]string{"team": "b"}
	if _, err := e.UpdateCatalog(ctx, "main", engine.MetadataUpdate{Comment: &comment, Properties: &props, Owner: &p.Name}, "editor"); err != nil {
		t.Fatal(err)
	}
	nobody := "nobody"
	if _, err := e.UpdateSchema(ctx, "main", "default", engine.MetadataUpdate{Comment: &comment, Owner: &nobody}, "editor"); !errors.Is(err, engine.ErrInvalidArgument) {
		t.Fatalf("unknown owner: %v, want ErrInvalidArgument", err)
	}
	if _, err := e.UpdateSchema(ctx, "main", "default", engine.MetadataUpdate{Properties: &props}, "editor"); err != nil {
		t.Fatal(err)
	}
	e.Close(ctx)
	e = openEngine(t, "disk", dir)
	c, err := e.GetCatalog(ctx, "main")
	if err != nil || c.Comment != "changed" || c.Owner != p.ClientID || c.Properties["team"] != "b" || c.UpdatedBy != "editor" ||
		c.FullName != "main" || c.CatalogType != "MANAGED_CATALOG" {
		t.Errorf("catalog after restart: %+v %v", c, err)
	}
	sc, err := e.GetSchema(ctx, "main", "default")
	if err != nil || sc.Comment != "Default schema" || sc.Properties["team"] != "b" || sc.UpdatedBy != "editor" {
		t.Errorf("schema after restart: %+v %v", sc, err)
	}
}
