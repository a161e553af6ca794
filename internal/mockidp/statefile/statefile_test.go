package statefile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// owner is a state with a change counter, as the store and the tenant
// keep one.
type owner struct {
	mu      sync.Mutex
	changes uint64
	encodes int // snapshots that produced bytes
}

func (o *owner) change() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.changes++
	return o.changes
}

func (o *owner) snap(saved uint64) (uint64, []byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.changes == saved {
		return saved, nil, nil
	}
	o.encodes++
	return o.changes, []byte(strconv.FormatUint(o.changes, 10)), nil
}

// Every Persist, among many at once, returns with the file holding its
// change or a later one: never before its change is on disk.
func TestPersistIsAGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	var (
		f  File
		o  owner
		wg sync.WaitGroup
	)
	const callers = 64
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := o.change()
			if err := f.Persist(path, want, o.snap); err != nil {
				errs <- err
				return
			}
			data, err := os.ReadFile(path)
			if err != nil {
				errs <- err
				return
			}
			if got, _ := strconv.ParseUint(string(data), 10, 64); got < want {
				errs <- errors.New("Persist returned before its change was on disk: file holds " + string(data) + ", want ≥ " + strconv.FormatUint(want, 10))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Nothing new: no write at all.
	before := o.encodes
	if err := f.Save(path, o.snap); err != nil || o.encodes != before {
		t.Errorf("Save with nothing changed: %v, %d snapshots encoded, want none", err, o.encodes-before)
	}
}

// A failed write leaves the change unsaved, so the next save writes it.
func TestFailedWriteIsRetried(t *testing.T) {
	dir := t.TempDir()
	var (
		f File
		o owner
	)
	want := o.change()
	if err := f.Persist(filepath.Join(dir, "missing", "state.json"), want, o.snap); err == nil {
		t.Fatal("Persist into a missing directory succeeded")
	}
	path := filepath.Join(dir, "state.json")
	if err := f.Persist(path, want, o.snap); err != nil {
		t.Fatalf("Persist after the failure: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "1" {
		t.Errorf("file holds %q after the retry, want the change", data)
	}
}

// WriteAtomic leaves no temporary file behind and writes mode 0600.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.json")
	if err := WriteAtomic(path, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want the one written", len(entries))
	}
}
