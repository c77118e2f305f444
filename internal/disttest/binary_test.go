package disttest

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/clitest"
)

// Bounds of the steps: a cold build cache makes the first `make` slow; the rest is quick.
const (
	makeTimeout    = 10 * time.Minute
	commandTimeout = 30 * time.Second
	conformTimeout = 5 * time.Minute
)

// repoRoot is the module root: two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root %s: %v", root, err)
	}
	return root
}

// gitVersion is what the Makefile links in: `git describe --tags --always --dirty`, or
// "devel" outside a git checkout.
func gitVersion(t *testing.T, root string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "devel"
	}
	return strings.TrimSpace(string(out))
}

// runMake runs make TARGET VARS... at the module root, as a user would, without what an
// enclosing make (make test) passes down: its MAKEFLAGS would carry that make's command-line
// variables (a VERSION=… there would hide the git-describe default this test checks).
func runMake(t *testing.T, root string, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds release binaries with make: not under -short")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to build what the project ships: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), makeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", root}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL" || name == "MAKEOVERRIDES"
	})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkVersion: `workbinkit version` names the version the Makefile linked in.
func checkVersion(t *testing.T, bin, want string) {
	t.Helper()
	out, errOut, code := clitest.Run(t, bin, t.TempDir(), nil, commandTimeout, "version")
	first, _, _ := strings.Cut(out, "\n")
	if code != 0 || first != "workbinkit "+want {
		t.Errorf("version: exit %d, first line %q, want %q\n%s%s", code, first, "workbinkit "+want, out, errOut)
	}
}

// checkStatic: the binary was built as the Makefile promises (no cgo, -trimpath) and, on
// Linux, needs no dynamic loader. (The go command records no -ldflags under -trimpath, so
// the linked version is checked by checkVersion.)
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings: CGO_ENABLED=%q -trimpath=%q, want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}
	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s asks for a dynamic loader: not a static binary", bin)
		}
	}
}

// checkMockAnswers: a user logs in with the built-in fixtures and the control plane answers
// (given the control-plane headers, name and value pairs: the admin token's).
func checkMockAnswers(t *testing.T, m clitest.Mock, control ...string) {
	t.Helper()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("MaratTest:MaratTest"))
	if code := clitest.Get(t, m.REST+"/me", "Authorization", basic); code != http.StatusOK {
		t.Errorf("GET %s/me as MaratTest: %d, want 200", m.REST, code)
	}
	if code := clitest.Get(t, m.Base+"/_mock/options", control...); code != http.StatusOK {
		t.Errorf("GET /_mock/options: %d, want 200", code)
	}
}

// checkConform runs `BIN conform` against the mock, as a vendor runs it against their server,
// in a fresh directory: it must pass and write the JUnit report and the conformance reports.
func checkConform(t *testing.T, bin string, m clitest.Mock, args ...string) {
	t.Helper()
	dir := t.TempDir()
	args = append([]string{"conform", "--target", m.Base, "--report-junit", "junit.xml"}, args...)
	out, errOut, code := clitest.Run(t, bin, dir, nil, conformTimeout, args...)
	if code != 0 {
		t.Fatalf("conform --target %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", m.Base, code, clitest.Tail(out, 60), clitest.Tail(errOut, 60))
	}
	for _, name := range []string{"junit.xml", "conformance-report.json", "conformance-report.md"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("conform wrote no %s: %v", name, err)
		}
	}
}
