package mockserver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOptionsDocuments(t *testing.T) {
	def := DefaultOptions()
	o, err := def.ApplyYAML([]byte("enableCsrfProtection: false\ncometd:\n  timeout: 5s\n  interval: 250\ncorsAllowedOrigins: ['http://localhost:3000']\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o.EnableCsrfProtection || !o.EnableJoinOnPullChat || time.Duration(o.CometD.Timeout) != 5*time.Second ||
		time.Duration(o.CometD.Interval) != 250*time.Millisecond || time.Duration(o.CometD.MaxInterval) != 10*time.Second ||
		len(o.CORSAllowedOrigins) != 1 {
		t.Errorf("YAML options %+v", o)
	}
	if len(def.CORSAllowedOrigins) != len(DefaultCORSOrigins()) {
		t.Error("ApplyYAML changed its receiver's origins")
	}
	// Durations go out as milliseconds.
	b, _ := json.Marshal(o)
	if !strings.Contains(string(b), `"cometd":{"timeout":5000,"interval":250,"maxInterval":10000}`) {
		t.Errorf("JSON form %s", b)
	}
	// Round trip.
	back, err := DefaultOptions().ApplyJSON(b)
	if err != nil || back.CometD != o.CometD || back.EnableCsrfProtection {
		t.Errorf("round trip %+v %v", back, err)
	}
	if same, err := def.ApplyYAML([]byte("")); err != nil || same.CometD != def.CometD {
		t.Errorf("empty file: %v", err)
	}
	for _, bad := range []string{
		"enableCsrfprotection: false", "EnableCsrfProtection: false", "cometd:\n  Timeout: 5s", "cometd:\n  timeout: -5",
		"cometd:\n  timeout: 0", "cometd:\n  maxInterval: soon", "strict: maybe", "corsAllowedOrigins: ['localhost']",
		"corsAllowedOrigins: ['http://x/path']", "- a list", "a: [",
	} {
		if _, err := def.ApplyYAML([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "o.json")
	os.WriteFile(p, []byte(`{"strict":true}`), 0o644)
	if o, err := def.LoadOptionsFile(p); err != nil || !o.Strict {
		t.Errorf("JSON file: %+v %v", o, err)
	}
	os.WriteFile(p, []byte("strict: true"), 0o644) // YAML is not JSON
	if _, err := def.LoadOptionsFile(p); err == nil {
		t.Error("a .json file with YAML in it was accepted")
	}
	for s, want := range map[string]time.Duration{"30s": 30 * time.Second, "1500": 1500 * time.Millisecond, " 2m ": 2 * time.Minute} {
		if got, err := ParseMillis(s); err != nil || time.Duration(got) != want {
			t.Errorf("ParseMillis(%q) = %s, %v", s, got, err)
		}
	}
	for _, s := range []string{"-1", "-2s", "x", ""} {
		if _, err := ParseMillis(s); err == nil {
			t.Errorf("ParseMillis(%q) accepted", s)
		}
	}
}

func TestStateSaver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	saver := NewStateSaver(path, time.Hour, nil) // only Flush saves in this test
	m := newMock(t, func(c *Config) { c.OnChange = saver.Changed })
	saver.Attach(m.srv)
	if err := saver.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("a save without a change")
	}
	marat := m.login("MaratTest")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody("PullWorkitem", seedWorkitem)), 200, 0)
	if err := saver.Flush(); err != nil {
		t.Fatal(err)
	}
	want := snapshotJSON(t, m)
	// A fresh mock loads it.
	m2 := newMock(t)
	if loaded, err := m2.srv.LoadStateFile(path); err != nil || !loaded {
		t.Fatalf("load: %v %v", loaded, err)
	}
	if snapshotJSON(t, m2) != want {
		t.Error("the loaded state differs from the saved one")
	}
	// Missing file: nothing loaded; broken file: an error, nothing changed.
	if loaded, err := m2.srv.LoadStateFile(filepath.Join(t.TempDir(), "none.json")); loaded || err != nil {
		t.Errorf("missing file: %v %v", loaded, err)
	}
	os.WriteFile(path, []byte(`{"state":{"users":[{"name":""}]}}`), 0o644)
	if _, err := m2.srv.LoadStateFile(path); err == nil {
		t.Error("a broken state file was loaded")
	}
	if snapshotJSON(t, m2) != want {
		t.Error("a broken state file changed the state")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}
