package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/workbinkit/workbinkit/fixtures"
)

// fixturesCommands are the subcommands of "workbinkit fixtures"; add new ones here.
func fixturesCommands() map[string]command {
	return map[string]command{
		"import": {summary: "convert a Python-repr sample (GWS docs, Python tools) to JSON", args: "[--repair] [-o FILE] [FILE|-]",
			about: importAbout, failure: "a conversion error (FILE:LINE:COLUMN: message), or a file that cannot be read or written", run: runFixturesImport},
		"from-har": {summary: "write the users, workbins and interactions a captured session shows as a fixture set", args: "-o DIR FILE.har",
			about: fromHARAbout, failure: "the capture could not be read, or the fixture set could not be written or loaded back", run: runFixturesFromHAR},
	}
}

// maxImportSize bounds what import reads, so a wrong file cannot exhaust memory.
const maxImportSize = 64 << 20

const importAbout = `Converts one Python repr of a value (as printed by the GWS documentation and by
Python test tools: u'…' strings, bare u for an empty string, None/True/False,
tuples, trailing commas) into indented JSON, keeping the order of dict keys.
Reads FILE, or standard input when FILE is "-" or missing; writes standard
output, or FILE given by -o (written whole or not at all).

--repair undoes the PDF rendering damage inside strings (decision D12):
  2014-04-17T04: 03: 21Z         → 2014-04-17T04:03:21Z
  2014-04-1621: 03: 21.000-0700  → 2014-04-16 21:03:21.000-0700
  04: 03: 21Z (the whole string) → 04:03:21Z
  ??: 2>1, PegAG?: 2>1           → ?:2>1, PegAG?:2>1
  http: //localhost: 8080/…      → http://localhost:8080/…
and nothing else ("Note: call back" and "Note?: a<b" stay as they are).

A conversion error is reported as FILE:LINE:COLUMN: message.

Example:
  workbinkit fixtures import --repair fixtures/testdata/seed-cometd-workitem.pyrepr
`

func runFixturesImport(ctx context.Context, args []string, env *environ) error {
	fs := newFlags("fixtures import")
	repair := fs.Bool("repair", false, "undo the rendering damage of decision D12 inside strings")
	outPath := fs.String("o", "", "write the JSON to `FILE` instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("%w: fixtures import: one input file at most, got %d", errUsage, fs.NArg())
	}

	name, src, err := readImportInput(ctx, fs.Arg(0), env.stdin)
	if err != nil {
		return err
	}
	out, err := fixtures.ConvertPyRepr(src, fixtures.PyReprOptions{Repair: *repair})
	if err != nil {
		var pe *fixtures.PyReprError
		if errors.As(err, &pe) {
			return &sourceError{file: name, err: pe}
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	if *outPath == "" || *outPath == "-" {
		_, err := env.stdout.Write(out)
		return err
	}
	return writeFileAtomic(*outPath, out)
}

// sourceError places a conversion error in its file, the way compilers do.
type sourceError struct {
	file string
	err  *fixtures.PyReprError
}

func (e *sourceError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.file, e.err.Line, e.err.Col, e.err.Msg)
}

func (e *sourceError) Unwrap() error { return e.err }

// readImportInput reads the named file, or stdin for "" and "-", and returns the name
// to show in messages. Reading stops when ctx is done (stdin may be a terminal).
func readImportInput(ctx context.Context, path string, stdin io.Reader) (string, []byte, error) {
	name, r := "<stdin>", stdin
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return path, nil, err // *PathError names the file
		}
		defer f.Close()
		name, r = path, f
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, maxImportSize+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return name, nil, fmt.Errorf("reading %s: %w", name, ctx.Err())
	case res := <-done:
		if res.err != nil {
			return name, nil, fmt.Errorf("reading %s: %w", name, res.err)
		}
		if len(res.b) > maxImportSize {
			return name, nil, fmt.Errorf("%s: larger than %d MiB", name, maxImportSize>>20)
		}
		return name, res.b, nil
	}
}

// writeFileAtomic writes data to path through a temporary file in the same directory,
// so a failure never leaves a half-written file behind.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
