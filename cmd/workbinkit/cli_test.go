package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/internal/version"
)

// commandPaths walks the command table: every group and every leaf, as argument lists.
func commandPaths(prefix []string, cmds map[string]command) (groups, leaves [][]string) {
	for _, name := range sortedNames(cmds) {
		path := append(slices.Clone(prefix), name)
		c := cmds[name]
		if c.sub != nil {
			groups = append(groups, path)
			g, l := commandPaths(path, c.sub())
			groups, leaves = append(groups, g...), append(leaves, l...)
			continue
		}
		leaves = append(leaves, path)
	}
	return groups, leaves
}

// Every command in the table, group or leaf, answers -h and --help with its usage on
// standard output and exit status 0; a new subcommand is covered by being in the table.
func TestHelpEverywhere(t *testing.T) {
	groups, leaves := commandPaths(nil, commands())
	if len(leaves) < 8 || len(groups) < 2 {
		t.Fatalf("the walk found %d groups and %d leaves: the table is not what this test reads", len(groups), len(leaves))
	}
	all := append([][]string{{}}, append(groups, leaves...)...)
	for _, path := range all {
		forms := []string{"--help", "-h", "-help", "help"}
		for _, form := range forms {
			args := append(slices.Clone(path), form)
			if form == "help" && len(path) > 0 { // workbinkit help spec lint
				args = append([]string{"help"}, path...)
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				out, errOut, err := runCmd(t, "", args...)
				if err != nil || exitCode(err) != 0 {
					t.Fatalf("exit status %d (%v), want 0", exitCode(err), err)
				}
				want := strings.TrimSpace("usage: workbinkit " + strings.Join(path, " "))
				if !strings.HasPrefix(out, want) {
					t.Errorf("stdout does not start with %q:\n%s", want, out)
				}
				if !strings.Contains(out, "exit status: 0 success") {
					t.Errorf("the usage does not document the exit statuses:\n%s", out)
				}
				if errOut != "" {
					t.Errorf("stderr: %q", errOut)
				}
			})
		}
	}
	// Help after a positional argument of a command that takes flags anywhere, and for
	// commands whose other arguments would fail.
	for want, args := range map[string][]string{
		"spec validate-notification": {"spec", "validate-notification", "missing.json", "--help"},
		"spec validate-document":     {"spec", "validate-document", "--strict", "-h"},
		"mock":                       {"mock", "--addr", "127.0.0.1:0", "--help"},
	} {
		if out, _, err := runCmd(t, "", args...); err != nil || !strings.HasPrefix(out, "usage: workbinkit "+want) {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}

// A leaf's usage lists the flags its flag set defines.
func TestHelpListsFlags(t *testing.T) {
	for args, flags := range map[string][]string{
		"spec lint":                  {"--dir DIR"},
		"spec validate-response":     {"-H HEADER", "--strict"},
		"spec validate-notification": {"--strict"},
		"fixtures import":            {"-o FILE", "--repair"},
	} {
		out, _, err := runCmd(t, "", append(strings.Fields(args), "--help")...)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range flags {
			if !strings.Contains(out, "\n  "+f) {
				t.Errorf("%s --help does not list %s:\n%s", args, f, out)
			}
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("the message breaks the contract"), 1},
		{os.ErrNotExist, 1},
		{errUsage, 2},
		{errors.Join(errors.New("x"), errUsage), 2},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	// Through the commands: an operation that fails is 1, a wrong command line 2.
	bad := `{"channel":"/v2/me/workbins","data":{"messageType":"WorkbinSubscriptionStateChangeMessage","id":"w","stateResource":1,"referenceId":14}}`
	for _, tc := range []struct {
		stdin string
		args  []string
		want  int
	}{
		{"", []string{"spec", "lint"}, 0},
		{"", []string{"version"}, 0},
		{bad, []string{"spec", "validate-notification"}, 1},
		{"", []string{"spec", "validate-notification", filepath.Join(t.TempDir(), "missing.json")}, 1},
		{"", []string{"spec", "lint", "--dir", filepath.Join(t.TempDir(), "none")}, 1},
		{"", []string{"spec", "lint", "--nope"}, 2},
		{"", []string{"spec"}, 2},
		{"", []string{"nope"}, 2},
		{"", []string{"version", "extra"}, 2},
		{"", []string{"version", "--short"}, 2},
	} {
		_, _, err := runCmd(t, tc.stdin, tc.args...)
		if got := exitCode(err); got != tc.want {
			t.Errorf("%v: exit status %d (%v), want %d", tc.args, got, err, tc.want)
		}
	}
}

// An unknown subcommand names the valid ones; an unknown flag names the command's flags;
// a usage error shows the usage line on stderr.
func TestUsageErrorsNameTheChoices(t *testing.T) {
	groups, leaves := commandPaths(nil, commands())
	for _, g := range append([][]string{{}}, groups...) {
		cmds := commands()
		for _, name := range g {
			cmds = cmds[name].sub()
		}
		_, _, err := runCmd(t, "", append(slices.Clone(g), "frobnicate")...)
		if !errors.Is(err, errUsage) {
			t.Fatalf("%v frobnicate: %v, want a usage error", g, err)
		}
		for _, name := range sortedNames(cmds) {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%v frobnicate: %q does not name %s", g, err, name)
			}
		}
	}
	for _, l := range leaves {
		_, errOut, err := runCmd(t, "", append(slices.Clone(l), "--frobnicate")...)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "-frobnicate") ||
			!strings.Contains(err.Error(), "its flags: ") && !strings.Contains(err.Error(), "no flags") {
			t.Errorf("%v --frobnicate: %v", l, err)
		}
		if want := "usage: workbinkit " + strings.Join(l, " "); !strings.HasPrefix(errOut, want) {
			t.Errorf("%v --frobnicate: stderr %q does not start with %q", l, errOut, want)
		}
	}
}

// Every setting of `workbinkit mock` that can be wrong says which flag (or environment
// variable) to change and, for a choice, the valid values. The table must cover every flag.
func TestMockErrorsNameTheFlag(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	dir := t.TempDir()
	missingDir := filepath.Join(dir, "none")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		env    map[string]string
		status int
		want   []string
	}{
		{args: []string{"--addr", busyAddr}, status: 1, want: []string{"--addr " + busyAddr, "in use", "WORKBINKIT_ADDR", "127.0.0.1:0"}},
		{env: map[string]string{"WORKBINKIT_ADDR": busyAddr}, status: 1, want: []string{"WORKBINKIT_ADDR=" + busyAddr, "in use", "--addr"}},
		{args: []string{"--addr", "8090"}, status: 2, want: []string{"--addr", `"8090" is not HOST:PORT`}},
		{args: []string{"--addr", "0.0.0.0:0"}, status: 2, want: []string{"--addr 0.0.0.0:0", "--admin-token", "loopback"}},
		{args: []string{"--fixtures", missingDir}, status: 1, want: []string{"--fixtures " + missingDir + ": no such directory"}},
		{env: map[string]string{"WORKBINKIT_FIXTURES": missingDir}, status: 1, want: []string{"WORKBINKIT_FIXTURES=" + missingDir + ": no such directory"}},
		{args: []string{"--fixtures", file}, status: 1, want: []string{"--fixtures " + file + ": not a directory"}},
		{args: []string{"--fixtures", dir}, status: 1, want: []string{"--fixtures " + dir + ": "}},
		{args: []string{"--options", filepath.Join(dir, "o.yaml")}, status: 1, want: []string{"--options " + filepath.Join(dir, "o.yaml")}},
		{args: []string{"--state-file", filepath.Join(missingDir, "s.json")}, status: 1, want: []string{"--state-file " + filepath.Join(missingDir, "s.json"), "directory"}},
		{args: []string{"--state-file", file}, status: 1, want: []string{"--state-file " + file}},
		{args: []string{"--deviate", "nope"}, status: 2, want: []string{"--deviate", `"nope"`, "wrong-channel"}},
		{args: []string{"--log-level", "loud"}, status: 2, want: []string{"--log-level", "debug, info, warn or error"}},
		{env: map[string]string{"WORKBINKIT_LOG_LEVEL": "loud"}, status: 2, want: []string{"WORKBINKIT_LOG_LEVEL", "debug, info, warn or error"}},
		{args: []string{"--enable-csrf-protection=maybe"}, status: 2, want: []string{"-enable-csrf-protection", "true or false"}},
		{args: []string{"--enable-notification-on-pull-chat=2"}, status: 2, want: []string{"-enable-notification-on-pull-chat", "true or false"}},
		{env: map[string]string{"WORKBINKIT_ENABLE_JOIN_ON_PULL_CHAT": "maybe"}, status: 2, want: []string{"WORKBINKIT_ENABLE_JOIN_ON_PULL_CHAT", "true or false"}},
		{args: []string{"--strict=sometimes"}, status: 2, want: []string{"-strict", "true or false"}},
		{args: []string{"--cometd-timeout", "soon"}, status: 2, want: []string{"--cometd-timeout", "30s"}},
		{args: []string{"--cometd-timeout", "0"}, status: 2, want: []string{"--cometd-timeout", "positive"}},
		{args: []string{"--cometd-max-interval", "0"}, status: 2, want: []string{"--cometd-max-interval", "positive"}},
		{args: []string{"--cometd-interval", "-5"}, status: 2, want: []string{"--cometd-interval", "negative"}},
		{args: []string{"--cors-origins", "ftp://x"}, status: 2, want: []string{"--cors-origins", "scheme://host"}},
		{args: []string{"--nope"}, status: 2, want: []string{"-nope", "--addr", "--state-file"}},
		{args: []string{"stray"}, status: 2, want: []string{"no arguments", "stray"}},
	}
	named := map[string]bool{}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " ")+fmtEnv(tc.env), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), mockWait) // bounds a mock that starts by mistake
			defer cancel()
			var err error
			if tc.env != nil {
				env := &environ{stdin: strings.NewReader(""), stdout: discard{}, stderr: discard{}, getenv: func(k string) string { return tc.env[k] }}
				err = run(ctx, append([]string{"mock"}, tc.args...), env)
			} else {
				_, _, err = runCLI(t, ctx, strings.NewReader(""), append([]string{"mock"}, tc.args...)...)
			}
			if err == nil || exitCode(err) != tc.status {
				t.Fatalf("exit status %d (%v), want %d", exitCode(err), err, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
		for _, w := range tc.want {
			named[strings.TrimLeft(strings.SplitN(w, " ", 2)[0], "-")] = true
			named[strings.SplitN(w, "=", 2)[0]] = true
		}
	}
	for _, st := range mockSettingsTable() {
		if !named[st.name] && !named[st.env] {
			t.Errorf("no case checks that an error names --%s or %s", st.name, st.env)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func fmtEnv(env map[string]string) string {
	var b strings.Builder
	for k, v := range env {
		b.WriteString(" " + k + "=" + v)
	}
	return b.String()
}

// The flags of the other commands: errors name the flag and the path or the valid values.
func TestFlagErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		status int
		want   []string
	}{
		{[]string{"spec", "lint", "--dir", missing}, 1, []string{"--dir " + missing + ": no such directory"}},
		{[]string{"spec", "lint", "--dir", file}, 1, []string{"--dir " + file + ": not a directory"}},
		{[]string{"spec", "lint", "--dir"}, 2, []string{"-dir"}},
		{[]string{"spec", "validate-notification", "--strict=perhaps", file}, 2, []string{"-strict"}},
		{[]string{"spec", "validate-response", "-H", "nocolon", "GET", "/api/v2/me", "200"}, 2, []string{"-H", "Name: value"}},
		{[]string{"spec", "validate-document", "nope.json", file}, 2, []string{"nope.json", "workitem.json"}},
		{[]string{"spec", "validate-request", "FROB", "/api/v2/me"}, 1, []string{"FROB", "the path takes GET"}},
		{[]string{"spec", "validate-response", "DELETE", "/api/v2/me", "200"}, 1, []string{"DELETE", "the path takes GET"}},
		{[]string{"fixtures", "import", "-o"}, 2, []string{"-o"}},
		{[]string{"fixtures", "import", "-o", filepath.Join(missing, "out.json"), file}, 1, []string{filepath.Join(missing, "out.json")}},
	} {
		_, _, err := runCmd(t, "", tc.args...)
		if err == nil || exitCode(err) != tc.status {
			t.Errorf("%v: exit status %d (%v), want %d", tc.args, exitCode(err), err, tc.status)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q does not say %q", tc.args, err, w)
			}
		}
	}
}

// One version everywhere: `workbinkit version` prints the version the conformance reports
// and User-Agents carry, with the Go toolchain and the commit.
func TestVersionCommand(t *testing.T) {
	out, _, err := runCmd(t, "", "version")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "workbinkit "+conformance.SuiteVersion || lines[0] != "workbinkit "+version.String() {
		t.Errorf("version prints %q; the conformance suite says %q, the build %q", lines[0], conformance.SuiteVersion, version.String())
	}
	if !slices.Contains(lines, "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("no Go version line:\n%s", out)
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "revision: ") }) {
		t.Errorf("no revision line:\n%s", out)
	}
}

// The built binary: a version linked in for a release is the one printed, and the exit
// statuses are the documented ones.
func TestBinaryVersionAndExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "workbinkit")
	const release = "v9.8.7-test"
	build := exec.Command("go", "build", "-ldflags", "-X github.com/workbinkit/workbinkit/internal/version.override="+release, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args   []string
		status int
		stdout string
	}{
		{[]string{"version"}, 0, "workbinkit " + release + "\n"},
		{[]string{"spec", "validate-notification", "--help"}, 0, "usage: workbinkit spec validate-notification"},
		{[]string{"spec", "lint", "-h"}, 0, "usage: workbinkit spec lint"},
		{[]string{"spec", "lint", "--nope"}, 2, ""},
		{[]string{"nope"}, 2, ""},
		{[]string{"spec", "validate-document", "workitem.json", "-"}, 1, "[required]"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), mockWait)
		cmd := exec.CommandContext(ctx, bin, tc.args...)
		cmd.Stdin = strings.NewReader(`{"state":"Processing"}`)
		out, err := cmd.Output()
		cancel()
		status := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if status != tc.status || !strings.Contains(string(out), tc.stdout) {
			t.Errorf("%v: exit status %d, stdout %q; want %d and %q", tc.args, status, out, tc.status, tc.stdout)
		}
	}
}
