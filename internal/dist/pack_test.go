package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeRelease lays out a repository root with the docs and an output directory with a
// binary per platform, as the Makefile leaves them.
func fakeRelease(t *testing.T, withLicense bool, plats ...Platform) Release {
	t.Helper()
	root, out := t.TempDir(), t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "README.md"), "# readme\n")
	write(filepath.Join(root, "CHANGELOG.md"), "# changes\n")
	if withLicense {
		write(filepath.Join(root, "LICENSE"), "license text\n")
	}
	for _, p := range plats {
		write(filepath.Join(out, p.BuildDir(), p.Exe()), "binary for "+p.String())
	}
	docs, err := DocFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	return Release{Dir: out, Version: "v1.2.3-4-gabcdef0", Docs: docs, ModTime: time.Unix(1767225600, 0).UTC()}
}

type file struct {
	mode fs.FileMode
	data string
	time time.Time
}

func readTarGz(t *testing.T, p string) map[string]file {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	got := map[string]file{}
	for range 100 {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: owner %d:%d, want 0:0", h.Name, h.Uid, h.Gid)
		}
		got[h.Name] = file{mode: fs.FileMode(h.Mode).Perm(), data: string(data), time: h.ModTime.UTC()}
	}
	t.Fatal("more than 100 entries")
	return nil
}

func readZip(t *testing.T, p string) map[string]file {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string]file{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		got[f.Name] = file{mode: f.Mode().Perm(), data: string(data), time: f.Modified.UTC()}
	}
	return got
}

func TestPackArchivesAndSums(t *testing.T) {
	linux, windows := Platform{"linux", "amd64"}, Platform{"windows", "amd64"}
	rel := fakeRelease(t, true, linux, windows)
	names, err := rel.Pack([]Platform{linux, windows})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"workbinkit_v1.2.3-4-gabcdef0_linux_amd64.tar.gz", "workbinkit_v1.2.3-4-gabcdef0_windows_amd64.zip", "SHA256SUMS"}
	if !slices.Equal(names, want) {
		t.Fatalf("wrote %q, want %q", names, want)
	}

	top := "workbinkit_v1.2.3-4-gabcdef0_linux_amd64/"
	tgz := readTarGz(t, filepath.Join(rel.Dir, want[0]))
	wantTar := map[string]file{
		top:                  {mode: 0o755, time: rel.ModTime},
		top + "workbinkit":   {mode: 0o755, data: "binary for linux/amd64", time: rel.ModTime},
		top + "README.md":    {mode: 0o644, data: "# readme\n", time: rel.ModTime},
		top + "CHANGELOG.md": {mode: 0o644, data: "# changes\n", time: rel.ModTime},
		top + "LICENSE":      {mode: 0o644, data: "license text\n", time: rel.ModTime},
	}
	if len(tgz) != len(wantTar) {
		t.Errorf("tar.gz holds %d entries, want %d: %v", len(tgz), len(wantTar), tgz)
	}
	for n, w := range wantTar {
		if g, ok := tgz[n]; !ok || g != w {
			t.Errorf("tar.gz %s: %+v (present %v), want %+v", n, g, ok, w)
		}
	}

	wtop := "workbinkit_v1.2.3-4-gabcdef0_windows_amd64/"
	zf := readZip(t, filepath.Join(rel.Dir, want[1]))
	if g := zf[wtop+"workbinkit.exe"]; g.data != "binary for windows/amd64" || g.mode != 0o755 || !g.time.Equal(rel.ModTime) {
		t.Errorf("zip workbinkit.exe: %+v", g)
	}
	if g := zf[wtop+"CHANGELOG.md"]; g.data != "# changes\n" {
		t.Errorf("zip CHANGELOG.md: %+v", g)
	}
	if len(zf) != 4 {
		t.Errorf("zip holds %d entries, want 4: %v", len(zf), zf)
	}

	// SHA256SUMS in sha256sum's format, one line per archive in order.
	sums, err := os.ReadFile(filepath.Join(rel.Dir, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("SHA256SUMS has %d lines, want 2:\n%s", len(lines), sums)
	}
	for i, line := range lines {
		data, err := os.ReadFile(filepath.Join(rel.Dir, want[i]))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if wantLine := hex.EncodeToString(sum[:]) + "  " + want[i]; line != wantLine {
			t.Errorf("SHA256SUMS line %d: %q, want %q", i+1, line, wantLine)
		}
	}
}

// The same inputs give the same bytes, and a second run leaves one release in the directory.
func TestPackReproducibleAndCleans(t *testing.T) {
	linux, darwin := Platform{"linux", "arm64"}, Platform{"darwin", "arm64"}
	rel := fakeRelease(t, false, linux, darwin)
	if _, err := rel.Pack([]Platform{linux, darwin}); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(rel.Dir, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(rel.Dir, "workbinkit_v0.0.1_linux_arm64.tar.gz")
	keep := filepath.Join(rel.Dir, "notes.txt")
	for _, p := range []string{stale, keep} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rel.Pack([]Platform{linux, darwin}); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(filepath.Join(rel.Dir, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("two packs of the same inputs differ:\n%s\n%s", first, second)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an archive of another version was left in the directory: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file that is not an archive was removed: %v", err)
	}
	// Without LICENSE in the repository the archive has none.
	if _, ok := readTarGz(t, filepath.Join(rel.Dir, ArchiveName(rel.Version, linux)))["workbinkit_v1.2.3-4-gabcdef0_linux_arm64/LICENSE"]; ok {
		t.Error("LICENSE packed though the repository has none")
	}
}

func TestPackErrors(t *testing.T) {
	rel := fakeRelease(t, false, Platform{"linux", "amd64"})
	if _, err := rel.Pack([]Platform{{"darwin", "amd64"}}); err == nil || !strings.Contains(err.Error(), "make dist builds it first") {
		t.Errorf("a missing binary: %v", err)
	}
	if _, err := DocFiles(t.TempDir()); err == nil || !strings.Contains(err.Error(), "README.md") {
		t.Errorf("a repository without README.md: %v", err)
	}
	for _, bad := range []string{"linux", "linux/", "/amd64", "linux/amd64/v2", "Linux/AMD64", "linux amd64"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("ParsePlatform(%q) accepted", bad)
		}
	}
	if err := run([]string{"--dir", t.TempDir(), "linux/amd64"}); err == nil || !strings.Contains(err.Error(), "--version") {
		t.Errorf("no --version: %v", err)
	}
	if err := run([]string{"--version", "v1"}); err == nil || !strings.Contains(err.Error(), "platform") {
		t.Errorf("no platform: %v", err)
	}
}
