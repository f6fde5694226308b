package meta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// backupSuffix names the copy of a config file's previous content.
const backupSuffix = ".bak"

// writeFileAtomic replaces path with data so that a crash at any moment
// leaves either the old or the new content under path, and keeps the old
// content as path.bak:
//
//  1. write data to path.tmp and fsync it;
//  2. hard-link the current path to path.bak (the old inode survives step 3);
//  3. rename path.tmp over path and fsync the directory.
//
// path itself is never missing once it has been written. Callers serialize
// writes to the same path.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	tmp := path + ".tmp"
	if err := writeAndSync(tmp, data); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := backup(path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", filepath.Base(path), err)
	}
	return syncDir(dir)
}

func writeAndSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(name), err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync %s: %w", filepath.Base(name), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", filepath.Base(name), err)
	}
	return nil
}

// backup makes path.bak hold the current content of path, if path exists.
// It links when the file system allows and copies otherwise; either way the
// new .bak replaces the old one atomically.
func backup(path string) error {
	bak := path + backupSuffix
	bakTmp := bak + ".tmp"
	_ = os.Remove(bakTmp)
	err := os.Link(path, bakTmp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // first write: nothing to keep
	}
	if err != nil {
		old, rerr := os.ReadFile(path)
		if errors.Is(rerr, fs.ErrNotExist) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("back up %s: %w", filepath.Base(path), rerr)
		}
		if err := writeAndSync(bakTmp, old); err != nil {
			_ = os.Remove(bakTmp)
			return err
		}
	}
	if err := os.Rename(bakTmp, bak); err != nil {
		_ = os.Remove(bakTmp)
		return fmt.Errorf("back up %s: %w", filepath.Base(path), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync config dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync config dir: %w", err)
	}
	return nil
}

// loadJSONFile reads path, or path.bak when path is missing, empty or fails
// to decode, and hands the content to decode. It returns the file it used,
// or "" when neither holds anything (a new broker: start empty). A file that
// exists but cannot be decoded is an error when no good backup exists: the
// broker must not silently start empty and then overwrite it.
//
// decode must leave its target untouched when it fails, so that a failed
// attempt on the main file cannot leak into the backup's result.
func loadJSONFile(path string, decode func([]byte) error) (string, error) {
	mainErr := loadOne(path, decode)
	if mainErr == nil {
		return path, nil
	}
	bak := path + backupSuffix
	bakErr := loadOne(bak, decode)
	if bakErr == nil {
		return bak, nil
	}
	if isAbsent(mainErr) && isAbsent(bakErr) {
		return "", nil
	}
	return "", fmt.Errorf("load %s: %w (backup: %w)", filepath.Base(path), mainErr, bakErr)
}

// errEmptyFile marks a config file of zero length (upstream treats it as
// unreadable and falls back to the backup).
var errEmptyFile = errors.New("file is empty")

// isAbsent reports whether a load failed only because there was no content.
func isAbsent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errEmptyFile)
}

func loadOne(name string, decode func([]byte) error) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errEmptyFile
	}
	return decode(b)
}
