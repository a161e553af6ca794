package webhook

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/statefile"
)

// The state files of a StateDir. The undelivered deliveries are in a file
// of their own, small while the app keeps up, because it is written before
// every change an app is answered for (Persist); the finished ones, up to
// Keep of them with their bodies and answers, are written at the owner's
// pace (Save).
const (
	QueueFile = "webhook-queue.json"
	LogFile   = "webhook-log.json"
)

const stateVersion = 1

type stateFiles struct {
	dir        string
	queue, log statefile.File
}

func newStateFiles(dir string) *stateFiles { return &stateFiles{dir: dir} }

func (s *stateFiles) path(name string) string { return filepath.Join(s.dir, name) }

// stored is a delivery in a state file: with its endpoint's full URL,
// which matches it to an endpoint after a restart, and its place in the
// order of deliveries.
type stored struct {
	Delivery
	URL string `json:"url"`
	Seq uint64 `json:"seq"`
}

type stateData struct {
	Version    int      `json:"version"`
	Deliveries []stored `json:"deliveries"`
}

func (d *delivery) stored() stored {
	v := d.Delivery.clone()
	v.Body, v.NextAttemptAt = string(d.body), nil
	return stored{Delivery: v, URL: d.url, Seq: d.seq}
}

// Persist returns once the state directory holds every delivery enqueued
// so far that has not finished: the owner calls it before it answers the
// request whose change made the events, so that a crash right after the
// answer loses no webhook. Concurrent callers share one write.
func (d *Dispatcher) Persist() error {
	if d.state == nil {
		return nil
	}
	d.mu.Lock()
	want := d.changes
	d.mu.Unlock()
	return d.state.queue.Persist(d.state.path(QueueFile), want, d.snapshotQueue)
}

// Save writes both state files when they have changed: the owner calls it
// on its save tick, and Close does.
func (d *Dispatcher) Save() error {
	if d.state == nil {
		return nil
	}
	err := d.state.queue.Save(d.state.path(QueueFile), d.snapshotQueue)
	return errors.Join(err, d.state.log.Save(d.state.path(LogFile), d.snapshotLog))
}

// snapshotQueue encodes the undelivered deliveries, in order. The copies
// are taken under the lock and encoded outside it: Enqueue runs under the
// event log's lock and must not wait for an encoding.
func (d *Dispatcher) snapshotQueue(saved uint64) (uint64, []byte, error) {
	d.mu.Lock()
	at := d.changes
	if at == saved {
		d.mu.Unlock()
		return at, nil, nil
	}
	var copies []delivery
	for _, q := range d.queues {
		for _, dl := range q.pending {
			copies = append(copies, dl.snapshot())
		}
	}
	for _, dl := range d.orphans {
		copies = append(copies, dl.snapshot())
	}
	d.mu.Unlock()
	slices.SortFunc(copies, func(a, b delivery) int { return cmp.Compare(a.seq, b.seq) })
	return encodeState(at, copies)
}

// snapshotLog encodes the finished deliveries, oldest first.
func (d *Dispatcher) snapshotLog(saved uint64) (uint64, []byte, error) {
	d.mu.Lock()
	at := d.logChanges
	if at == saved {
		d.mu.Unlock()
		return at, nil, nil
	}
	copies := make([]delivery, len(d.done))
	for i, dl := range d.done {
		copies[i] = dl.snapshot()
	}
	d.mu.Unlock()
	return encodeState(at, copies)
}

// encodeState encodes snapshots, outside the lock.
func encodeState(at uint64, copies []delivery) (uint64, []byte, error) {
	ds := make([]stored, len(copies))
	for i := range copies {
		ds[i] = copies[i].stored()
	}
	data, err := json.Marshal(stateData{Version: stateVersion, Deliveries: ds})
	return at, data, err
}

// load restores the log and re-queues the undelivered deliveries, before
// any worker runs: each goes back to its endpoint's queue, in its old
// place, due at once (a restart is when a fixed endpoint is most likely),
// with its attempts so far counted. One whose endpoint is no longer
// configured is kept as failed, saying so.
func (d *Dispatcher) load() error {
	finished, err := readState(d.state.path(LogFile))
	if err != nil {
		return err
	}
	queued, err := readState(d.state.path(QueueFile))
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range finished {
		if d.byID[s.ID] != nil || !s.Status.Finished() {
			continue
		}
		dl := s.delivery()
		d.byID[dl.ID] = dl
		d.done = append(d.done, dl)
		d.seq = max(d.seq, dl.seq)
	}
	slices.SortFunc(d.done, func(a, b *delivery) int { return cmp.Compare(a.seq, b.seq) })
	if len(d.done) > d.keep {
		for _, old := range d.done[:len(d.done)-d.keep] {
			delete(d.byID, old.ID)
		}
		d.done = d.done[len(d.done)-d.keep:]
	}
	slices.SortFunc(queued, func(a, b stored) int { return cmp.Compare(a.Seq, b.Seq) })
	var gone []string
	for _, s := range queued {
		if d.byID[s.ID] != nil { // it finished after the queue was last written
			continue
		}
		dl := s.delivery()
		d.seq = max(d.seq, dl.seq)
		q := d.byURL[dl.url]
		if q == nil {
			// Kept queued, unsent, so that a start with the endpoint
			// configured again delivers it.
			dl.Note = "waiting: its endpoint is not configured in this run; start the mock with it again to deliver it"
			d.orphans = append(d.orphans, dl)
			d.byID[dl.ID] = dl
			gone = append(gone, Shown(dl.url))
			continue
		}
		dl.Status = Queued
		if len(dl.Attempts) > 0 {
			dl.Status = Retrying
		}
		dl.Endpoint, dl.Note = q.shown, ""
		q.pending = append(q.pending, dl)
		d.byID[dl.ID] = dl
	}
	if len(gone) > 0 {
		slices.Sort(gone)
		gone = slices.Compact(gone)
		d.log.Warn("webhook deliveries kept from the last run are for endpoints no longer configured: they stay queued, unsent, until those endpoints are configured again",
			"deliveries", len(d.orphans), "endpoints", strings.Join(gone, ", "))
	}
	return nil
}

func (s stored) delivery() *delivery {
	dl := &delivery{Delivery: s.Delivery.clone(), url: s.URL, seq: s.Seq, body: []byte(s.Body)}
	dl.Body, dl.NextAttemptAt = "", nil
	if dl.Attempts == nil {
		dl.Attempts = []Attempt{}
	}
	return dl
}

// readState reads a state file; a missing one is empty.
func readState(path string) ([]stored, error) {
	var st stateData
	found, err := statefile.ReadJSON(path, &st)
	switch {
	case !found && err == nil:
		return nil, nil
	case errors.Is(err, statefile.ErrDamaged):
		return nil, fmt.Errorf("--state-dir: %s is damaged (%v): move it away to start without the webhook deliveries it holds", path, err)
	case err != nil:
		return nil, fmt.Errorf("--state-dir: %w", err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("--state-dir: %s has version %d, this skctl reads %d: move it away to start without it", path, st.Version, stateVersion)
	}
	for _, s := range st.Deliveries {
		if s.ID == "" || s.URL == "" || s.EventID == "" {
			return nil, fmt.Errorf("--state-dir: %s holds a delivery without an id, url or event_id: move it away to start without it", path)
		}
	}
	return st.Deliveries, nil
}

// LoadOrCreateSecret returns the signing secret kept in a file, or makes
// one and keeps it there (mode 0600), so that an app's
// SCALEKIT_WEBHOOK_SECRET stays valid across restarts. created says
// which.
func LoadOrCreateSecret(path string) (secret string, created bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		secret = strings.TrimSpace(string(data))
		if err := CheckSecret(secret); err != nil {
			return "", false, fmt.Errorf("%s: %w (delete the file to have a new one made)", path, err)
		}
		return secret, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	secret = NewSecret()
	if err := statefile.WriteAtomic(path, []byte(secret+"\n")); err != nil {
		return "", false, err
	}
	return secret, true, nil
}
