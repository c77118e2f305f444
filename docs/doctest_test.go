// Package docs_test runs the shell examples of README.md and docs/*.md, so that an example
// that drifts from what the commands do fails the build.
//
// A block runs when the line before its opening fence is
//
//	<!-- doctest -->
//
// It runs under bash (set -euo pipefail) in a scratch directory that links the repository's
// top-level directories (fixtures/, spec/, docs/, examples/…), against a mock started for the
// test on a free loopback port and reset before each block. The text is rewritten first:
// 127.0.0.1:8090 and localhost:8090 become the mock's address; bin/workbinkit, "go run
// ./cmd/workbinkit" and a leading "workbinkit " the binary built for the test; /tmp/ the scratch directory. A block may be
// followed by
//
//	<!-- doctest: output -->
//	```text
//	…
//	```
//
// whose non-empty lines must appear in the block's output in that order; "…" in a line matches
// any text (the rewrites are undone in the output before comparing).
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	runMarker    = "<!-- doctest -->"
	outputMarker = "<!-- doctest: output -->"
	docAddr      = "127.0.0.1:8090"
)

// block is one marked example.
type block struct {
	file   string
	line   int // of the opening fence
	script string
	want   []string // expected output lines; nil: not checked
}

func (b block) name() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// extract finds the marked blocks of one Markdown file.
func extract(name string, text []byte) ([]block, error) {
	lines := strings.Split(string(text), "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != runMarker {
			continue
		}
		body, end, err := fence(lines, i+1)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s %w", name, i+1, runMarker, err)
		}
		b := block{file: name, line: i + 2, script: strings.Join(body, "\n")}
		// An output block may follow, after blank lines.
		j := end + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j < len(lines) && strings.TrimSpace(lines[j]) == outputMarker {
			want, oend, err := fence(lines, j+1)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s %w", name, j+1, outputMarker, err)
			}
			for _, w := range want {
				if strings.TrimSpace(w) != "" {
					b.want = append(b.want, strings.TrimSpace(w))
				}
			}
			end = oend
		}
		out = append(out, b)
		i = end
	}
	return out, nil
}

// fence returns the lines inside the fenced block opening at lines[at] and the index of its
// closing fence.
func fence(lines []string, at int) ([]string, int, error) {
	if at >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[at]), "```") {
		return nil, 0, errors.New("must be followed by a fenced block")
	}
	for k := at + 1; k < len(lines); k++ {
		if strings.TrimSpace(lines[k]) == "```" {
			return lines[at+1 : k], k, nil
		}
	}
	return nil, 0, errors.New("opens a fenced block that is never closed")
}

func TestExtract(t *testing.T) {
	doc := "x\n<!-- doctest -->\n```sh\necho a\necho b\n```\n\n<!-- doctest: output -->\n```text\na\n\nb\n```\n<!-- doctest -->\n```sh\ntrue\n```\n"
	bs, err := extract("d.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].script != "echo a\necho b" || strings.Join(bs[0].want, "|") != "a|b" || bs[1].want != nil || bs[1].line != 15 {
		t.Fatalf("extract = %+v", bs)
	}
	if _, err := extract("d.md", []byte("<!-- doctest -->\ntext\n")); err == nil {
		t.Error("a marker without a block must be an error")
	}
	if _, err := extract("d.md", []byte("<!-- doctest -->\n```sh\nopen\n")); err == nil {
		t.Error("an unclosed block must be an error")
	}
}

func TestMatchLines(t *testing.T) {
	got := "one\nthe port is 8090 today\nthree\n"
	if err := matchLines(got, []string{"one", "the port is … today"}); err != nil {
		t.Error(err)
	}
	if err := matchLines(got, []string{"three", "one"}); err == nil {
		t.Error("order must matter")
	}
	if err := matchLines(got, []string{"four"}); err == nil {
		t.Error("a missing line must fail")
	}
}

// matchLines checks that each wanted line appears in got, in order; "…" matches any text.
func matchLines(got string, want []string) error {
	have := strings.Split(got, "\n")
	k := 0
	for _, w := range want {
		parts := strings.Split(w, "…")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re := regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
		for k < len(have) && !re.MatchString(strings.TrimSpace(have[k])) {
			k++
		}
		if k == len(have) {
			return fmt.Errorf("expected line %q not found (in order) in the output", w)
		}
		k++
	}
	return nil
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestDocExamples runs every marked block of README.md and docs/*.md.
func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binary and runs the documentation's examples")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run the documentation's examples")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the documentation's examples")
	}
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var blocks []block
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		bs, err := extract(rel, text)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) == 0 {
		t.Fatal("no documentation block is marked " + runMarker + ": the docs would go untested")
	}

	scratch := t.TempDir()
	bin := filepath.Join(scratch, "bin", "workbinkit")
	build := exec.Command("go", "build", "-o", bin, "./cmd/workbinkit")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The mock and the examples run in a directory that looks like the repository (as under
	// make mock), without writing into it.
	work := filepath.Join(scratch, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "bin" && e.Name() != "node_modules" {
			if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(work, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	addr := startMock(t, bin, work)
	options := call(t, http.MethodGet, "http://"+addr+"/_mock/options", "")
	tmp := filepath.Join(scratch, "tmp") + "/"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	rewrite := strings.NewReplacer(docAddr, addr, "localhost:8090", addr, "go run ./cmd/workbinkit", bin, "bin/workbinkit", bin, "/tmp/", tmp)
	leading := regexp.MustCompile(`(?m)(^|[|;&(]\s*|\$\(\s*)workbinkit `)

	for _, b := range blocks {
		t.Run(b.name(), func(t *testing.T) {
			reset(t, addr, options)
			script := rewrite.Replace(b.script)
			script = leading.ReplaceAllString(script, "${1}"+bin+" ")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+script)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "HOME="+scratch, "NO_COLOR=1")
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.CombinedOutput()
			text := strings.NewReplacer(addr, docAddr, tmp, "/tmp/", bin, "bin/workbinkit").Replace(string(out))
			if err != nil {
				t.Fatalf("%s: the example failed: %v\n--- script\n%s\n--- output\n%s", b.name(), err, b.script, text)
			}
			if b.want != nil {
				if err := matchLines(text, b.want); err != nil {
					t.Fatalf("%s: %v\n--- output\n%s", b.name(), err, text)
				}
			}
		})
	}
	t.Logf("%d documentation examples ran", len(blocks))
}

// startMock runs the built binary's mock on a free port and returns its host:port.
func startMock(t *testing.T, bin, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "mock", "--addr", "127.0.0.1:0", "--log-level", "warn")
	cmd.Dir = dir
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`REST API\s+http://(127\.0\.0\.1:\d+)/api/v2`)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-found:
		return a
	case <-time.After(30 * time.Second):
		t.Fatalf("the mock printed no address within 30 s; stderr:\n%s", stderr.String())
	}
	return ""
}

// reset puts the mock back as it started (fixtures, options, no deviation) and logs everyone
// out, so that blocks are independent.
func reset(t *testing.T, addr, options string) {
	t.Helper()
	base := "http://" + addr + "/_mock/"
	call(t, http.MethodPost, base+"reset", `{"sessions":true}`)
	call(t, http.MethodPut, base+"options", options)
	call(t, http.MethodPut, base+"deviations", `{"on":[]}`)
}

// call makes one control-plane call and returns the reply's body; anything but 2xx fails t.
func call(t *testing.T, method, url, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d %v: %s", method, url, resp.StatusCode, err, b)
	}
	return string(b)
}
