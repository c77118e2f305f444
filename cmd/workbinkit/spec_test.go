package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &environ{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	err := run(context.Background(), args, env)
	return out.String(), errOut.String(), err
}

func TestSpecLintBuiltin(t *testing.T) {
	out, _, err := runCmd(t, "", "spec", "lint")
	if err != nil || !strings.Contains(out, "ok (") {
		t.Fatalf("spec lint: %q, %v", out, err)
	}
}

// copyContract writes the built-in contract to a temporary directory.
func copyContract(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(spec.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(spec.Files(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSpecLintDir(t *testing.T) {
	dir := copyContract(t)
	if out, _, err := runCmd(t, "", "spec", "lint", "-dir", dir); err != nil || !strings.Contains(out, dir) {
		t.Fatalf("lint of a good copy: %q, %v", out, err)
	}
	file := filepath.Join(dir, "schemas", "pull.json")
	data, _ := os.ReadFile(file)
	broken := strings.Replace(string(data), `"maxLength": 255`, `"maxLength": "255"`, 1)
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCmd(t, "", "spec", "lint", "-dir", dir)
	if err == nil || !strings.Contains(stderr, "schemas/pull.json#/properties/id/maxLength") {
		t.Fatalf("lint of a broken copy: stderr %q, %v", stderr, err)
	}
}

func TestSpecUsage(t *testing.T) {
	for _, args := range [][]string{{"spec"}, {"spec", "frobnicate"}, {"spec", "lint", "extra"}, {"spec", "lint", "-nope"}, {"spec", "validate-notification", "a", "b"}} {
		if _, _, err := runCmd(t, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := runCmd(t, "", "spec", "lint", "-dir", filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing directory passed")
	}
}

func TestValidateNotificationCommand(t *testing.T) {
	good := `{"channel":"/v2/me/workbins","data":{"messageType":"WorkbinSubscriptionStateChangeMessage","id":"w","stateResource":"Subscribed","referenceId":14}}`
	if out, _, err := runCmd(t, good, "spec", "validate-notification"); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("good message from stdin: %q, %v", out, err)
	}
	file := filepath.Join(t.TempDir(), "m.json")
	bad := strings.Replace(good, "Subscribed", "Pending", 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "", "spec", "validate-notification", file)
	if err == nil || !strings.Contains(out, "/data/stateResource") || !strings.Contains(out, "[enum]") {
		t.Fatalf("bad message from a file: %q, %v", out, err)
	}
	if _, _, err := runCmd(t, "", "spec", "validate-notification", filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file passed")
	}
}
