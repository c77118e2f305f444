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
	bad := strings.Replace(good, `"Subscribed"`, `1`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "", "spec", "validate-notification", file)
	if err == nil || !strings.Contains(out, "/data/stateResource") || !strings.Contains(out, "[type]") {
		t.Fatalf("bad message from a file: %q, %v", out, err)
	}
	if _, _, err := runCmd(t, "", "spec", "validate-notification", filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file passed")
	}
}

// The validate-* commands: exit 0 with warnings only (printed), 1 with errors; --strict turns
// warnings into errors.
func TestValidateCommandsLevels(t *testing.T) {
	msg := `{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","notificationType":"StatusChange","phoneNumber":"7001",` +
		`"workitem":{"id":"w1","state":"Revoked","capabilities":["Teleport"]}}}`
	item := `{"id":"w1","state":"Processing","capabilities":["Teleport"],"contactId":"c1"}`
	content := `{"statusCode":0,"workbin":{"id":"wb1","workitems":[` + item + `]}}`
	pull := `{"operationName":"PullWorkitem","id":"w1"}`
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	msgFile, contentFile := write("msg.json", msg), write("content.json", content)
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantErr  bool
		contains []string
	}{
		{"notification with warnings", "", []string{"validate-notification", msgFile}, false,
			[]string{"warning: ", "/data/phoneNumber", "/data/workitem/capabilities/0", `"Teleport"`, "[x-known]", "[x-extra-members]", "ok, with 2 warning(s)"}},
		{"notification strict", "", []string{"validate-notification", msgFile, "--strict"}, true, []string{"/data/workitem/capabilities/0", "[x-known]"}},
		{"notification strict before the file", "", []string{"validate-notification", "--strict", msgFile}, true, []string{"/data/phoneNumber"}},
		{"notification shape fault", strings.Replace(msg, `"w1"`, `1`, 1), []string{"validate-notification"}, true, []string{"/data/workitem/id", "[type]"}},
		{"document with warnings", item, []string{"validate-document", "workitem.json", "-"}, false, []string{"/capabilities/0", "/contactId", "ok, with 2 warning(s)"}},
		{"document strict", item, []string{"validate-document", "--strict", "workitem.json"}, true, []string{"[x-extra-members]"}},
		{"document shape fault", `{"state":"Processing"}`, []string{"validate-document", "workitem.json"}, true, []string{"/id", "[required]"}},
		{"document clean", `{"id":"w1","state":"Revoked"}`, []string{"validate-document", "workitem.json", "--strict"}, false, []string{"ok"}},
		{"response with warnings", "", []string{"validate-response", "GET", "/api/v2/workbins/wb1", "200", contentFile}, false, []string{"/workbin/workitems/0/capabilities/0", "ok, with 2 warning(s)"}},
		{"response strict", "", []string{"validate-response", "--strict", "GET", "/api/v2/workbins/wb1", "200", contentFile}, true, []string{"/workbin/workitems/0/contactId"}},
		{"response shape fault", `{"statusCode":0}`, []string{"validate-response", "GET", "/api/v2/workbins/wb1", "200", "-"}, true, []string{"[required]"}},
		{"response undocumented status", "", []string{"validate-response", "GET", "/api/v2/workbins/wb1", "418"}, true, []string{"[status]"}},
		{"request ok", pull, []string{"validate-request", "--strict", "POST", "/api/v2/workbins/wb1", "-"}, false, []string{"ok"}},
		{"request shape fault", `{"operationName":"PullWorkitem","id":7}`, []string{"validate-request", "POST", "/api/v2/workbins/wb1", "-"}, true, []string{"/id"}},
		{"request without body", "", []string{"validate-request", "GET", "/api/v2/me/workbins"}, false, []string{"ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runCmd(t, tc.stdin, append([]string{"spec"}, tc.args...)...)
			if (err != nil) != tc.wantErr || errors.Is(err, errUsage) {
				t.Fatalf("err %v (want an error: %v); output %q", err, tc.wantErr, out)
			}
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			if tc.wantErr && strings.Contains(out, "ok") {
				t.Errorf("a failing validation printed ok:\n%s", out)
			}
		})
	}
}

func TestValidateCommandsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"spec", "validate-document"},
		{"spec", "validate-document", "nope.json", "-"},
		{"spec", "validate-document", "--lenient", "workitem.json"},
		{"spec", "validate-request", "GET"},
		{"spec", "validate-request", "GET", "api/v2/me"},
		{"spec", "validate-response", "GET", "/api/v2/me", "abc"},
		{"spec", "validate-response", "GET", "/api/v2/me", "200", "-H", "nocolon"},
	} {
		if _, _, err := runCmd(t, "{}", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
