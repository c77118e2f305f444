package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/workbinkit/workbinkit/fixtures/fromhar"
	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/spec"
)

const fromHARAbout = `Writes the users, workbins and interactions a captured session shows, as they were when it
ended, as a fixture set the mock loads with 'workbinkit mock --fixtures DIR': record a lab
once (workbinkit proxy --record, Chrome, Playwright), develop offline against the same data.
Passwords are never copied: each user's password is its user name, as in the built-in set.
What the capture does not place (a workbin whose owner it never names, an interaction it
loses track of) is left out and listed in DIR/README.md. The set is loaded back before the
command succeeds. DIR must not exist or be empty.
`

func runFixturesFromHAR(ctx context.Context, args []string, env *environ) error {
	fs := newFlags("fixtures from-har")
	out := fs.String("o", "", "write the fixture set into `DIR`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *out == "" {
		return fmt.Errorf("%w: fixtures from-har: want -o DIR and one HAR file", errUsage)
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%w: fixtures from-har: %v", errUsage, err)
	}
	defer f.Close()
	c, err := spec.Load()
	if err != nil {
		return err
	}
	set, err := fromhar.Build(ctx, c, har.NewReader(f))
	if err != nil {
		if errors.Is(err, har.ErrNotHAR) {
			if _, serr := f.Seek(0, io.SeekStart); serr == nil {
				err = har.Locate(err, f)
			}
			return fmt.Errorf("%w: %s: %v", errUsage, name, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := set.Write(c, *out, name); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %d users, %d workbins, %d interactions\n", *out, set.Users, set.Workbins, set.Interactions)
	for _, n := range set.Notes {
		fmt.Fprintf(env.stdout, "left out: %s\n", n)
	}
	return nil
}
