package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/workbinkit/workbinkit/spec"
)

// specCommands are the subcommands of "workbinkit spec".
func specCommands() map[string]command {
	return map[string]command{
		"lint": {summary: "check the contract (kin-openapi, gojsonschema, examples, asyncapi $refs); -dir DIR for a contract directory laid out like spec/", run: runSpecLint},
		"validate-notification": {summary: "validate one CometD message {\"channel\":…,\"data\":{…}} from FILE or stdin", run: func(_ context.Context, args []string, env *environ) error {
			return runValidateNotification(args, env)
		}},
	}
}

func runSpec(ctx context.Context, args []string, env *environ) error {
	return dispatch(ctx, "workbinkit spec", specCommands(), args, env)
}

func runSpecLint(ctx context.Context, args []string, env *environ) error {
	fl := flag.NewFlagSet("spec lint", flag.ContinueOnError)
	fl.SetOutput(env.stderr)
	dir := fl.String("dir", "", "contract directory (default: the built-in contract)")
	if err := fl.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: spec lint takes no arguments, got %q", errUsage, fl.Args())
	}
	fsys, name := spec.Files(), "built-in contract"
	if *dir != "" {
		st, err := os.Stat(*dir)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%w: -dir %s is not a directory", errUsage, *dir)
		}
		fsys, name = os.DirFS(*dir), *dir
	}
	rep, err := spec.Lint(ctx, fsys)
	if err != nil {
		n := printErrors(env.stderr, err)
		return fmt.Errorf("spec lint: %s: %d problem(s)", name, n)
	}
	_, err = fmt.Fprintf(env.stdout, "spec lint: %s: ok (%d schemas, %d operations, %d examples, %d CometD messages)\n",
		name, rep.Schemas, rep.Operations, rep.Examples, rep.Messages)
	return err
}

// printErrors writes each joined error on its own line and returns how many there were.
func printErrors(w io.Writer, err error) int {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		fmt.Fprintln(w, e)
	}
	return len(list)
}

func runValidateNotification(args []string, env *environ) error {
	if len(args) > 1 {
		return fmt.Errorf("%w: validate-notification takes one FILE or -", errUsage)
	}
	var (
		data []byte
		err  error
	)
	if len(args) == 0 || args[0] == "-" {
		data, err = io.ReadAll(io.LimitReader(env.stdin, spec.MaxBodyBytes+1))
	} else {
		data, err = os.ReadFile(args[0])
	}
	if err != nil {
		return err
	}
	if len(data) > spec.MaxBodyBytes {
		return fmt.Errorf("the message is larger than %d bytes", spec.MaxBodyBytes)
	}
	c, err := spec.Load()
	if err != nil {
		return err
	}
	err = c.ValidateMessage(data)
	issues := spec.IssuesOf(err)
	if err != nil && issues == nil {
		return err
	}
	for _, is := range issues {
		fmt.Fprintln(env.stdout, is)
	}
	if len(issues) > 0 {
		return errors.New("the message breaks the contract")
	}
	_, err = fmt.Fprintln(env.stdout, "ok")
	return err
}
