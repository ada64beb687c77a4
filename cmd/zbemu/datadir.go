package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// The data directory holds secrets (workspace.db and its WAL carry the
// token signing key, tls/ the server's private key) and every ingested
// row, so only the user running zbemu may read it: directories 0700,
// files 0600. The process umask (privateUmask) makes every file DuckDB,
// SQLite, the ingest log and zbemu itself create private, whatever mode
// the library asks for; privateDataDir tightens a directory written by an
// older release, which used 0755 and 0644, because an upgrade must close
// that hole too.

// privateUmask clears group and other permission bits of new files.
const privateUmask = 0o077

// privateDataDir creates dir with mode 0700, or makes an existing one and
// everything in it private: directories 0700, files without group or
// other bits. Symbolic links are left alone (chmod would follow them out
// of the directory). It logs how many entries it had to tighten.
func privateDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	tightened := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode().Perm()
		want := mode &^ 0o077
		if d.IsDir() {
			want = 0o700
		}
		if mode == want {
			return nil
		}
		tightened++
		return os.Chmod(path, want)
	})
	if err != nil {
		return fmt.Errorf("make data directory %s private: %w", dir, err)
	}
	if tightened > 0 {
		log.Info("made the data directory private (directories 0700, files 0600)", "dir", dir, "entries_tightened", tightened)
	}
	return nil
}
