package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/skctl/skctl/internal/mockidp/statefile"
)

// stateFile is the log's file in --state-dir. It is saved with the rest of
// the environment's state on the background tick and at a graceful stop,
// not before each change is answered: the events that must survive a
// crash are the undelivered ones, which the webhook deliveries keep
// themselves.
const stateFile = "events.json"

type snapshot struct {
	Version int     `json:"version"`
	Events  []Event `json:"events"`
}

// Save writes the log to dir/events.json when it has changed.
func (l *Log) Save(dir string) error {
	err := l.file.Save(filepath.Join(dir, stateFile), func(saved uint64) (uint64, []byte, error) {
		// Copy under the lock, encode outside it: Append (and so every
		// tenant change) must not wait for seconds of JSON. Events are
		// never changed once appended, so their data can be shared.
		l.mu.Lock()
		at := l.changes
		evs := slices.Clone(l.events)
		l.mu.Unlock()
		if at == saved {
			return saved, nil, nil
		}
		data, err := json.Marshal(snapshot{Version: 1, Events: evs})
		return at, data, err
	})
	if err != nil {
		return fmt.Errorf("state: %s: %w", stateFile, err)
	}
	return nil
}

// Load replaces the log with dir/events.json, if there is one, before the
// environment serves.
func (l *Log) Load(dir string) error {
	path := filepath.Join(dir, stateFile)
	var snap snapshot
	found, err := statefile.ReadJSON(path, &snap)
	switch {
	case !found && err == nil:
		return nil
	case err != nil && !errors.Is(err, statefile.ErrDamaged):
		return fmt.Errorf("state: %w", err)
	case err != nil || snap.Version != 1:
		return fmt.Errorf("state: %s is damaged or from another version: delete it to start the event log again", path)
	}
	l.Restore(snap.Events)
	return nil
}
