// Package statefile keeps a mock environment's state in a file of
// --state-dir: written atomically (a crash leaves the old file, never half
// of a new one), and with a group commit, so that many requests that must
// each be durable before they are answered share one write.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// File is one state file. Its owner counts its changes under its own
// lock; File remembers how many of them the file holds.
type File struct {
	saving sync.Mutex // held across a whole save, so saves are serialised
	mu     sync.Mutex
	saved  uint64 // the owner's change count the file holds
}

// Snapshot encodes the owner's state under the owner's lock, given the
// change count the file holds: it returns the count the encoding covers
// and the bytes, or nil bytes when nothing has changed since.
type Snapshot func(saved uint64) (at uint64, data []byte, err error)

// Saved records that the file holds the owner's state at change count at
// (a state just loaded from it, say).
func (f *File) Saved(at uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = at
}

// Save writes the owner's state to path when it has changed.
func (f *File) Save(path string, snap Snapshot) error {
	f.saving.Lock()
	defer f.saving.Unlock()
	return f.save(path, snap)
}

// Persist returns once the file holds change count want, saving if no
// other save has. Concurrent callers share saves: while one writes, the
// others wait, and a save that began after their change covers them.
func (f *File) Persist(path string, want uint64, snap Snapshot) error {
	f.saving.Lock()
	defer f.saving.Unlock()
	f.mu.Lock()
	covered := f.saved >= want
	f.mu.Unlock()
	if covered {
		return nil
	}
	return f.save(path, snap)
}

// save writes a snapshot. The caller holds saving, so a snapshot taken
// earlier never overwrites a later one on disk.
func (f *File) save(path string, snap Snapshot) error {
	f.mu.Lock()
	saved := f.saved
	f.mu.Unlock()
	at, data, err := snap(saved)
	if err != nil || data == nil {
		return err
	}
	if err := WriteAtomic(path, data); err != nil {
		return err // still unsaved: tried again next time
	}
	f.mu.Lock()
	f.saved = max(f.saved, at)
	f.mu.Unlock()
	return nil
}

// WriteAtomic writes through a temporary file, a rename and a sync of the
// directory, so that a crash mid-write leaves the old file, never half of
// a new one, and a write that returned survives a power loss. The mode
// is 0600: the files hold a private key and session state.
func WriteAtomic(path string, data []byte) error {
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
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename is durable once the directory is: without this, a power
	// loss after the write was answered could bring the old file back
	// (and with it a refresh token already rotated out).
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// ReadJSON reads the state file at path into v, the shared first step of
// every loader: found is false, with no error, when there is no file yet
// (a first start); a file that cannot be read is an error, and one that
// is not JSON of v's shape is ErrDamaged (wrapping the reason), which the
// caller turns into what to do about its file.
func ReadJSON(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return true, nil
}

// ErrDamaged is a state file that is not what its loader wrote.
var ErrDamaged = errors.New("not a state file of this skctl")
