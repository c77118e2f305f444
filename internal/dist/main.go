// Command dist packs the release archives `make dist` publishes: for each platform, the
// static binary the Makefile built into DIR/build/OS_ARCH/ with README.md, CHANGELOG.md and
// LICENSE (when the repository has one), as DIR/workbinkit_VERSION_OS_ARCH.tar.gz (.zip for
// Windows), and DIR/SHA256SUMS in sha256sum's format.
//
// The Makefile builds the binaries (so that every build it makes carries the same flags and
// version); this program only packs them. The archives are reproducible: every entry has the
// same time (--mtime, the last commit's), owner root and a fixed mode, in a fixed order.
//
//	go run ./internal/dist --dir dist --version v1.2.3 --mtime 1767225600 linux/amd64 windows/amd64
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("dist", flag.ContinueOnError)
	dir := fl.String("dir", "dist", "the output directory; the binaries are read from DIR/build/OS_ARCH/")
	ver := fl.String("version", "", "the version in the archives' names (git describe)")
	src := fl.String("src", ".", "the repository root, where README.md, CHANGELOG.md and LICENSE are")
	mtime := fl.Int64("mtime", 0, "the time of every archive entry, in Unix seconds (the last commit's)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*ver) == "" {
		return errors.New("--version is required (make dist passes git describe)")
	}
	if fl.NArg() == 0 {
		return errors.New("name at least one platform OS/ARCH, e.g. linux/amd64")
	}
	var plats []Platform
	for _, a := range fl.Args() {
		p, err := ParsePlatform(a)
		if err != nil {
			return err
		}
		plats = append(plats, p)
	}
	docs, err := DocFiles(*src)
	if err != nil {
		return err
	}
	rel := Release{Dir: *dir, Version: strings.TrimSpace(*ver), Docs: docs, ModTime: time.Unix(*mtime, 0).UTC()}
	names, err := rel.Pack(plats)
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Println(n)
	}
	return nil
}
