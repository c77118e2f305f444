package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/fixtures"
)

var (
	seedRepr = filepath.Join("..", "..", "fixtures", "testdata", "seed-cometd-workitem.pyrepr")
	seedJSON = filepath.Join("..", "..", "fixtures", "testdata", "seed-cometd-workitem.json")
	seedTail = filepath.Join("..", "..", "fixtures", "testdata", "seed-cometd-tail.pyrepr")
)

// runCLI runs the binary's run with the given stdin and returns stdout, stderr and the error.
func runCLI(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &environ{stdin: stdin, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	err := run(ctx, args, env)
	return stdout.String(), stderr.String(), err
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFixturesImportStdinToStdout(t *testing.T) {
	want := string(readFile(t, seedJSON))
	for _, args := range [][]string{
		{"fixtures", "import", "--repair"},
		{"fixtures", "import", "--repair", "-"},
		{"fixtures", "import", "-repair", "-o", "-", "-"},
	} {
		out, _, err := runCLI(t, context.Background(), bytes.NewReader(readFile(t, seedRepr)), args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if out != want {
			t.Errorf("%v: stdout differs from %s:\n%s", args, seedJSON, out)
		}
	}
}

func TestFixturesImportWithoutRepairKeepsDamage(t *testing.T) {
	out, _, err := runCLI(t, context.Background(), strings.NewReader("{u'at': u'2014-04-17T04: 03: 21Z'}"), "fixtures", "import")
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"at\": \"2014-04-17T04: 03: 21Z\"\n}\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestFixturesImportFileToFile(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "out.json")
	out, _, err := runCLI(t, context.Background(), strings.NewReader("not read"), "fixtures", "import", "--repair", "-o", dst, seedRepr)
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		t.Errorf("stdout should be empty with -o, got %q", out)
	}
	if got, want := readFile(t, dst), readFile(t, seedJSON); !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", dst, seedJSON, got)
	}
	entries, err := os.ReadDir(filepath.Dir(dst))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestFixturesImportConversionError(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "out.json")
	_, _, err := runCLI(t, context.Background(), nil, "fixtures", "import", "--repair", "-o", dst, seedTail)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("got %v, want a conversion error (exit status 1)", err)
	}
	want := seedTail + ":1:16: expected the end of input after the value, found ':' (is this a fragment of a dict or list?)"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
	var pe *fixtures.PyReprError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Col != 16 {
		t.Errorf("error should wrap the *fixtures.PyReprError, got %#v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("nothing should be written on error, found %v", entries)
	}

	_, _, err = runCLI(t, context.Background(), strings.NewReader("{\n  u'a': u'x,\n}"), "fixtures", "import")
	if want := "<stdin>:2:9: unterminated string (a line break inside a quoted string)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestFixturesImportMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.pyrepr")
	_, _, err := runCLI(t, context.Background(), nil, "fixtures", "import", missing)
	if err == nil || errors.Is(err, errUsage) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("got %v, want a not-exist error naming %s", err, missing)
	}
}

func TestFixturesUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"fixtures"},
		{"fixtures", "nope"},
		{"fixtures", "import", "--nope"},
		{"fixtures", "import", "-o"},
		{"fixtures", "import", "a.pyrepr", "b.pyrepr"},
	} {
		_, stderr, err := runCLI(t, context.Background(), strings.NewReader("1"), args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("%v: got %v, want a usage error (exit status 2)", args, err)
		}
		if len(args) > 1 && !strings.Contains(stderr, "usage: workbinkit fixtures") {
			t.Errorf("%v: stderr should show the usage, got %q", args, stderr)
		}
	}
}

func TestFixturesHelp(t *testing.T) {
	out, _, err := runCLI(t, context.Background(), nil, "fixtures", "import", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"usage: workbinkit fixtures import [--repair] [-o FILE] [FILE|-]", "-repair", "-o FILE", "FILE:LINE:COLUMN"} {
		if !strings.Contains(out, want) {
			t.Errorf("import --help lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCLI(t, context.Background(), nil, "fixtures", "--help")
	if err != nil || !strings.Contains(out, "import") {
		t.Errorf("fixtures --help = %q, %v; want the list of subcommands", out, err)
	}
	out, _, err = runCLI(t, context.Background(), nil, "--help")
	if err != nil || !strings.Contains(out, "fixtures") {
		t.Errorf("--help = %q, %v; want fixtures listed", out, err)
	}
}

func TestFixturesImportStopsOnCancel(t *testing.T) {
	pr, pw := io.Pipe() // a stdin that never sends anything, like an idle terminal
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := runCLI(t, ctx, pr, "fixtures", "import")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
