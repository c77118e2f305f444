package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
)

// stateFileVersion is the format version of a state file.
const stateFileVersion = 1

// stateFileDoc is what a state file holds. Any document with a state member can be loaded,
// e.g. a saved GET /_mock/state.
type stateFileDoc struct {
	Version int             `json:"version"`
	SavedAt time.Time       `json:"savedAt"`
	State   *state.Snapshot `json:"state"`
}

// LoadStateFile restores the domain state from a state file. A missing file is not an
// error: loaded is false and the state stays as it is (the fixtures).
func (s *Server) LoadStateFile(path string) (loaded bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state file: %w", err)
	}
	var doc stateFileDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return false, fmt.Errorf("state file %s: %w", path, err)
	}
	if doc.State == nil {
		return false, fmt.Errorf("state file %s: no state member", path)
	}
	if err := s.store.Restore(*doc.State); err != nil {
		return false, fmt.Errorf("state file %s: %w", path, err)
	}
	s.stateReplaced()
	return true, nil
}

// SaveStateFile writes the domain state to path atomically: a temporary file in the same
// directory, synced, then renamed over path, so a crash leaves the old file or the new one.
func (s *Server) SaveStateFile(path string) error {
	snap := s.store.Snapshot()
	data, err := json.MarshalIndent(stateFileDoc{Version: stateFileVersion, SavedAt: s.now().UTC(), State: &snap}, "", "  ")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, stateTempPattern(base))
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// stateTempPattern is the name of SaveStateFile's temporary files for a state file named
// base (os.CreateTemp replaces the * by a random number).
func stateTempPattern(base string) string { return "." + base + ".tmp*" }

// RemoveStaleStateTemps removes the temporary files SaveStateFile left next to path when
// the process was killed during a save (".state.json.tmp123456" for state.json), and
// returns their names. Call it at start, before any save: it cannot tell a stale file from
// one another process saving the same state file is writing (two mocks must not share a
// state file anyway).
func RemoveStaleStateTemps(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// Glob the directory's entries rather than a pattern made of base, whose own
	// metacharacters ([, *, ?) would be taken as such.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("state file: looking for stale temporary files: %w", err)
	}
	prefix := strings.TrimSuffix(stateTempPattern(base), "*")
	var removed []string
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" || !e.Type().IsRegular() || !allDigits(rest) { // os.CreateTemp always adds digits
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("state file: removing a stale temporary file: %w", err))
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}

// StateSaver saves the state to a file a little after it changes (changes in a burst are
// saved once) and on Flush. Wire Changed to Config.OnChange.
type StateSaver struct {
	path  string
	delay time.Duration
	log   *slog.Logger

	mu      sync.Mutex
	srv     *Server
	pending *time.Timer
	dirty   bool
	saving  sync.Mutex // one save at a time
}

// DefaultSaveDelay is how long a StateSaver waits after a change before saving.
const DefaultSaveDelay = 250 * time.Millisecond

// NewStateSaver saves to path, delay after a change (0: DefaultSaveDelay). Attach the
// server with Attach before the first change.
func NewStateSaver(path string, delay time.Duration, log *slog.Logger) *StateSaver {
	if delay <= 0 {
		delay = DefaultSaveDelay
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &StateSaver{path: path, delay: delay, log: log}
}

// Attach sets the server whose state is saved.
func (v *StateSaver) Attach(s *Server) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.srv = s
}

// Changed schedules a save (it never blocks).
func (v *StateSaver) Changed() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.dirty = true
	if v.pending == nil {
		v.pending = time.AfterFunc(v.delay, func() {
			if err := v.Flush(); err != nil {
				v.log.Error("mock: saving the state file", "path", v.path, "err", err)
			}
		})
	}
}

// Flush saves now if something changed since the last save.
func (v *StateSaver) Flush() error {
	v.saving.Lock()
	defer v.saving.Unlock()
	v.mu.Lock()
	if v.pending != nil {
		v.pending.Stop()
		v.pending = nil
	}
	dirty, srv := v.dirty, v.srv
	v.dirty = false
	v.mu.Unlock()
	if !dirty || srv == nil {
		return nil
	}
	if err := srv.SaveStateFile(v.path); err != nil {
		v.mu.Lock()
		v.dirty = true
		v.mu.Unlock()
		return err
	}
	v.log.Debug("mock: state saved", "path", v.path)
	return nil
}
