package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/statefile"
)

const stateFile = "state.json"

// snapshot is the on-disk form of the store. Secrets appear only as their
// SHA-256 (tokenKey), so the file cannot be replayed against the mock.
type snapshot struct {
	Version  int                      `json:"version"`
	Sessions map[string]*Session      `json:"sessions"`
	Codes    map[string]*AuthCode     `json:"codes"`
	Refresh  map[string]*RefreshGrant `json:"refresh_tokens"`
	// Families are the rotated-out refresh tokens that
	// refresh.reuse_detection recognizes; absent from older files.
	Families map[string]*refreshFamily `json:"refresh_families,omitempty"`
	// Ended are the ended sessions the session API still reports.
	Ended map[string]*EndedSession `json:"ended_sessions,omitempty"`
	// Users are the signed-up users of older files, which the tenant now
	// keeps in tenant.json; read, never written.
	Users []fixture.User `json:"users,omitempty"`
}

// Load fills the Store from dir/state.json, if there is one.
func (s *Store) Load(dir string) error {
	var snap snapshot
	found, err := statefile.ReadJSON(filepath.Join(dir, stateFile), &snap)
	switch {
	case !found && err == nil:
		return nil
	case err != nil && !errors.Is(err, statefile.ErrDamaged):
		return fmt.Errorf("state: %w", err)
	case err != nil || snap.Version != 1:
		return fmt.Errorf("state: %s is damaged or from another version: delete it to start with no sessions", filepath.Join(dir, stateFile))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ses := range snap.Sessions {
		s.sessions[k] = ses
		s.bySID[ses.ID] = k
	}
	for k, c := range snap.Codes {
		s.codes[k] = c
	}
	for k, g := range snap.Refresh {
		s.refresh[k] = g
	}
	if len(snap.Ended) > 0 {
		s.ended = snap.Ended
	}
	for f, fam := range snap.Families {
		s.families[f] = fam
		for _, k := range fam.Retired {
			s.familyOf[k] = f
		}
		if fam.Live != "" {
			s.familyOf[fam.Live] = f
		}
	}
	s.legacy = snap.Users
	return nil
}

// LegacyUsers returns, once, the signed-up users of a state file written
// when the store kept them, so that the tenant adopts them with their IDs
// and their sessions keep working after an upgrade.
func (s *Store) LegacyUsers() []fixture.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.legacy
	s.legacy = nil
	if out != nil {
		s.changes++ // the next save drops them from state.json
	}
	return out
}

// Save writes the Store to dir/state.json when it has changed.
func (s *Store) Save(dir string) error {
	return wrapState(s.file.Save(filepath.Join(dir, stateFile), s.encode))
}

// Persist returns once dir/state.json holds every change made before the
// call, saving if no other save has: a grant calls it before answering.
// Concurrent callers share saves (a group commit): while one writes, the
// others wait, and a save that began after their change covers them, so
// a refresh token rotated out stays spent.
func (s *Store) Persist(dir string) error {
	s.mu.Lock()
	want := s.changes
	s.mu.Unlock()
	return wrapState(s.file.Persist(filepath.Join(dir, stateFile), want, s.encode))
}

// encode is the store's statefile.Snapshot: nil when the file holds every
// change already.
func (s *Store) encode(saved uint64) (uint64, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changes == saved {
		return saved, nil, nil
	}
	data, err := json.Marshal(snapshot{Version: 1, Sessions: s.sessions, Codes: s.codes, Refresh: s.refresh, Families: s.families, Ended: s.ended})
	if err != nil {
		return 0, nil, err
	}
	return s.changes, data, nil
}

// wrapState says which file an error of a save is about.
func wrapState(err error) error {
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}
