package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Binary is the name of the binary in the build directories and the archives.
const Binary = "workbinkit"

// SumsFile lists every archive's SHA-256, as `sha256sum` writes it.
const SumsFile = "SHA256SUMS"

// Platform is one target of the cross-compilation.
type Platform struct{ OS, Arch string }

var platformRE = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9]+$`)

// ParsePlatform reads "OS/ARCH".
func ParsePlatform(s string) (Platform, error) {
	if !platformRE.MatchString(s) {
		return Platform{}, fmt.Errorf("%q is not OS/ARCH, e.g. linux/amd64", s)
	}
	goos, goarch, _ := strings.Cut(s, "/")
	return Platform{OS: goos, Arch: goarch}, nil
}

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// Exe is the binary's file name on the platform.
func (p Platform) Exe() string {
	if p.OS == "windows" {
		return Binary + ".exe"
	}
	return Binary
}

// BuildDir is where the Makefile put the platform's binary, relative to the output directory.
func (p Platform) BuildDir() string { return filepath.Join("build", p.OS+"_"+p.Arch) }

// ArchiveBase is the archive's name without its extension, also the one directory at its top.
func ArchiveBase(version string, p Platform) string {
	return fmt.Sprintf("%s_%s_%s_%s", Binary, version, p.OS, p.Arch)
}

// ArchiveName is the archive's file name: zip for Windows (what Explorer opens), else tar.gz.
func ArchiveName(version string, p Platform) string {
	if p.OS == "windows" {
		return ArchiveBase(version, p) + ".zip"
	}
	return ArchiveBase(version, p) + ".tar.gz"
}

// Doc is a file packed beside the binary.
type Doc struct {
	Name string // its name in the archive
	Path string // where it is read from
}

// DocFiles returns README.md and CHANGELOG.md, which must exist, and LICENSE when present.
func DocFiles(root string) ([]Doc, error) {
	var docs []Doc
	for _, name := range []string{"README.md", "CHANGELOG.md", "LICENSE"} {
		p := filepath.Join(root, name)
		_, err := os.Stat(p)
		switch {
		case err == nil:
			docs = append(docs, Doc{Name: name, Path: p})
		case errors.Is(err, fs.ErrNotExist) && name == "LICENSE":
		default:
			return nil, fmt.Errorf("the archives carry %s: %w", name, err)
		}
	}
	return docs, nil
}

// Release packs the archives of one version.
type Release struct {
	Dir     string    // output directory, with build/OS_ARCH/ inside
	Version string    // in the names
	Docs    []Doc     // beside the binary
	ModTime time.Time // of every entry
}

// Pack writes one archive per platform and SHA256SUMS, after removing the archives and sums
// a previous run left in Dir (so that the directory holds one release), and returns the
// names written.
func (r Release) Pack(plats []Platform) ([]string, error) {
	if err := r.clean(); err != nil {
		return nil, err
	}
	var sums strings.Builder
	var names []string
	for _, p := range plats {
		name := ArchiveName(r.Version, p)
		data, err := r.archive(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(r.Dir, name), data, 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
		names = append(names, name)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, SumsFile), []byte(sums.String()), 0o644); err != nil {
		return nil, err
	}
	return append(names, SumsFile), nil
}

// clean removes what a previous Pack wrote: only files named as it names them.
func (r Release) clean() error {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return fmt.Errorf("the output directory: %w", err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && (n == SumsFile || strings.HasPrefix(n, Binary+"_") && (strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".zip"))) {
			if err := os.Remove(filepath.Join(r.Dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// entry is one file of an archive.
type entry struct {
	name string
	mode fs.FileMode
	data []byte
}

// entries reads the platform's binary and the docs, in archive order.
func (r Release) entries(p Platform) ([]entry, error) {
	bin := filepath.Join(r.Dir, p.BuildDir(), p.Exe())
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("the binary (make dist builds it first): %w", err)
	}
	top := ArchiveBase(r.Version, p)
	es := []entry{{name: path.Join(top, p.Exe()), mode: 0o755, data: data}}
	for _, d := range r.Docs {
		data, err := os.ReadFile(d.Path)
		if err != nil {
			return nil, err
		}
		es = append(es, entry{name: path.Join(top, d.Name), mode: 0o644, data: data})
	}
	return es, nil
}

func (r Release) archive(p Platform) ([]byte, error) {
	es, err := r.entries(p)
	if err != nil {
		return nil, err
	}
	if p.OS == "windows" {
		return zipArchive(es, r.ModTime)
	}
	return tarGz(es, ArchiveBase(r.Version, p), r.ModTime)
}

func tarGz(es []entry, top string, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	hdr := func(h *tar.Header) *tar.Header {
		h.ModTime, h.Uname, h.Gname, h.Format = mtime, "root", "root", tar.FormatPAX
		return h
	}
	if err := tw.WriteHeader(hdr(&tar.Header{Typeflag: tar.TypeDir, Name: top + "/", Mode: 0o755})); err != nil {
		return nil, err
	}
	for _, e := range es {
		if err := tw.WriteHeader(hdr(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: int64(e.mode), Size: int64(len(e.data))})); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zipArchive(es []entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(w, bytes.NewReader(e.data)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
