// Command workbinkit is the one binary of the toolkit: the mock server, the
// validators and the fixture tools, each a subcommand.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run gets the arguments after the subcommand's name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env *environ) error
}

// environ is what a subcommand may touch, so the binary is testable end to end.
type environ struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// errUsage marks an error caused by how the command was called (exit code 2).
var errUsage = errors.New("usage")

func commands() map[string]command {
	return map[string]command{
		"fixtures": {summary: "fixture tools: import Python-repr samples as JSON", run: runFixtures},
		"mock":     {summary: "run the stateful GWS Workbins mock server (REST, CometD, control plane)", run: runMock},
		"proxy":    {summary: "validating reverse proxy for REST and CometD: judge live traffic, record HAR", run: runProxy},
		"validate": {summary: "judge a captured session (HAR: the proxy, Chrome, Playwright) against the contract", run: runValidate},
		"spec":     {summary: "lint the contract; validate a CometD message against it", run: runSpec},
		"version":  {summary: "print the version", run: runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	err := run(ctx, os.Args[1:], env)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, errorLine(err))
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	os.Exit(1)
}

// errorLine is how an error is printed: errors that already start with a source
// position (FILE:LINE:COL) stay bare so editors and CI annotators can jump to them.
func errorLine(err error) string {
	var se *sourceError
	if errors.As(err, &se) {
		return err.Error()
	}
	return "workbinkit: " + err.Error()
}

func run(ctx context.Context, args []string, env *environ) error {
	return dispatch(ctx, "workbinkit", commands(), args, env)
}

// dispatch runs the subcommand named by args[0]; prog names the command line so far
// ("workbinkit", "workbinkit fixtures") in usage and errors.
func dispatch(ctx context.Context, prog string, cmds map[string]command, args []string, env *environ) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stdout, prog, cmds)
		if len(args) == 0 {
			return fmt.Errorf("%w: %s: no subcommand given", errUsage, prog)
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(env.stderr, prog, cmds)
		return fmt.Errorf("%w: %s: unknown subcommand %q", errUsage, prog, args[0])
	}
	return c.run(ctx, args[1:], env)
}

func usage(w io.Writer, prog string, cmds map[string]command) {
	fmt.Fprintf(w, "usage: %s <subcommand> [flags]\n\nsubcommands:\n", prog)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %s\n", n, cmds[n].summary)
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func runVersion(_ context.Context, _ []string, env *environ) error {
	_, err := fmt.Fprintln(env.stdout, "workbinkit", version)
	return err
}
