package tenant

import (
	"os"
	"path/filepath"
)

// writeFileAtomic writes through a temporary file and a rename, so that a
// crash mid-write leaves the old file, never half of a new one. The mode
// is 0600, as for the store's files: the tenant lists every user.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
