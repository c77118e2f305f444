// Command workbinkit is the one binary of the toolkit: the mock server, the
// validators and the fixture tools, each a subcommand.
//
// Exit status, for every subcommand: 0 success (also for --help), 1 the operation
// failed (a validation found errors, a file could not be read, the server could not
// start), 2 a usage error (see exitCode).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/workbinkit/workbinkit/internal/version"
)

// command is one subcommand: a leaf with run, or a group of subcommands with sub. The
// tables below are the only list of commands: dispatch, the usage texts and the --help test
// all walk them.
type command struct {
	summary string
	// args is the synopsis after the command's name in its usage line, e.g. "[--strict] [FILE|-]".
	args string
	// about is the text of --help between the usage line and the flags (the summary if empty).
	about string
	// failure says what exit status 1 means for this command.
	failure string
	// run gets the arguments after the subcommand's name (leaves only).
	run func(ctx context.Context, args []string, env *environ) error
	// sub lists the subcommands of a group.
	sub func() map[string]command
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

// Exit statuses, the same for every subcommand.
const (
	exitOK     = 0 // success, and --help
	exitFailed = 1 // the operation ran and failed
	exitUsage  = 2 // the command line is wrong
)

// exitStatusHelp documents the exit statuses in every usage text.
const exitStatusHelp = "exit status: 0 success (also --help); 1 %s; 2 usage error: unknown subcommand or flag, a flag value that is not valid, missing or extra arguments."

// generalFailure is what exit status 1 means where a command does not say more.
const generalFailure = "the operation failed (a validation found errors, a file could not be read, the server could not start)"

func commands() map[string]command {
	return map[string]command{
		"fixtures": {summary: "fixture tools: import Python-repr samples as JSON", sub: fixturesCommands},
		"mock": {summary: "run the stateful GWS Workbins mock server (REST, CometD, control plane)", args: "[flags]",
			about: mockAbout, failure: "the server could not start (the address is in use, the fixtures or the state file cannot be read) or failed while serving", run: runMock},
		"proxy": {summary: "validating reverse proxy for REST and CometD: judge live traffic, record HAR", args: "--upstream URL [flags]",
			about: proxyAbout, failure: "the traffic broke the contract (unless --exit-zero), or the proxy could not start", run: runProxy},
		"validate": {summary: "judge a captured session (HAR: the proxy, Chrome, Playwright) against the contract", args: "[flags] FILE.har|-",
			about: validateAbout, failure: "the captured traffic broke the contract, or the file could not be read", run: runValidate},
		"spec":    {summary: "lint the contract; validate a CometD message, a document, a request or a reply against it", sub: specCommands},
		"version": {summary: "print the version, the Go toolchain and the commit of this build", about: versionAbout, failure: "the output could not be written", run: runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	err := run(ctx, os.Args[1:], env)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, errorLine(err))
	}
	os.Exit(exitCode(err))
}

// exitCode maps run's error to the exit status: nil 0, a usage error 2, any other 1.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	default:
		return exitFailed
	}
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

// isHelp reports whether arg asks for help in place of a subcommand.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// dispatch runs the subcommand named by args[0]; prog names the command line so far
// ("workbinkit", "workbinkit fixtures") in usage and errors.
func dispatch(ctx context.Context, prog string, cmds map[string]command, args []string, env *environ) error {
	if len(args) == 0 {
		groupUsage(env.stderr, prog, cmds)
		return fmt.Errorf("%w: %s: no subcommand given (one of %s)", errUsage, prog, strings.Join(sortedNames(cmds), ", "))
	}
	if args[0] == "help" && len(args) > 1 { // help spec lint: the same as spec lint --help
		return dispatch(ctx, prog, cmds, append(slices.Clone(args[1:]), "--help"), env)
	}
	if isHelp(args[0]) {
		groupUsage(env.stdout, prog, cmds)
		return nil
	}
	name := args[0]
	c, ok := cmds[name]
	if !ok {
		groupUsage(env.stderr, prog, cmds)
		return fmt.Errorf("%w: %s: unknown subcommand %q (one of %s)", errUsage, prog, name, strings.Join(sortedNames(cmds), ", "))
	}
	path := prog + " " + name
	if c.sub != nil {
		return dispatch(ctx, path, c.sub(), args[1:], env)
	}
	err := c.run(ctx, args[1:], env)
	var help *helpRequest
	switch {
	case errors.As(err, &help):
		commandHelp(env.stdout, path, c, help.flags)
		return nil
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.stderr, "usage: %s\nRun '%s --help' for details.\n", usageLine(path, c), path)
	}
	return err
}

func sortedNames(cmds map[string]command) []string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// groupUsage is the usage of a command that has subcommands.
func groupUsage(w io.Writer, prog string, cmds map[string]command) {
	fmt.Fprintf(w, "usage: %s <subcommand> [flags] [arguments]\n\nsubcommands:\n", prog)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, n := range sortedNames(cmds) {
		fmt.Fprintf(tw, "  %s\t%s\n", n, cmds[n].summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s <subcommand> --help' (or '%s help <subcommand>') for its flags and arguments.\n\n", prog, prog)
	fmt.Fprintf(w, exitStatusHelp+"\n", generalFailure)
}

// commandHelp is the --help text of a leaf command; flags prints its flags (nil: none).
func commandHelp(w io.Writer, path string, c command, flags func(io.Writer)) {
	fmt.Fprintf(w, "usage: %s\n\n", usageLine(path, c))
	about := c.about
	if about == "" {
		about = c.summary + "\n"
	}
	fmt.Fprint(w, about)
	if flags != nil {
		fmt.Fprint(w, "\nflags:\n")
		flags(w)
	}
	failure := c.failure
	if failure == "" {
		failure = generalFailure
	}
	fmt.Fprintf(w, "\n"+exitStatusHelp+"\n", failure)
}

func usageLine(path string, c command) string {
	return strings.TrimSpace(path + " " + c.args)
}

// helpRequest is returned by a leaf command asked for -h or --help: dispatch prints the
// command's usage with flags to standard output, and the exit status is 0.
type helpRequest struct {
	flags func(io.Writer)
}

func (*helpRequest) Error() string { return "help requested" }

// newFlags returns the flag set of a leaf command. Its messages are left to dispatch and
// flagError, which print them once and in full.
func newFlags(name string) *flag.FlagSet {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.Usage = func() {}
	return fl
}

// parseFlags parses args with fl (see flagError for its errors).
func parseFlags(fl *flag.FlagSet, args []string) error {
	if err := fl.Parse(args); err != nil {
		return flagError(fl, err)
	}
	return nil
}

// flagError turns an error of fl.Parse into a helpRequest (-h, --help) or a usage error
// naming the command and, for an unknown flag, the flags there are.
func flagError(fl *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return &helpRequest{flags: flagsPrinter(fl)}
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "flag provided but not defined") {
		var names []string
		fl.VisitAll(func(f *flag.Flag) { names = append(names, flagName(f.Name)) })
		if len(names) == 0 {
			msg += " (it takes no flags)"
		} else {
			msg += " (its flags: " + strings.Join(names, ", ") + ")"
		}
	}
	return fmt.Errorf("%w: %s: %s", errUsage, fl.Name(), msg)
}

// flagName writes a flag as the help does: -o for one letter, --name for longer names
// (the flag package accepts both forms for each).
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagsPrinter prints the flags of fl, one a line, with their defaults (nil when fl has none).
func flagsPrinter(fl *flag.FlagSet) func(io.Writer) {
	n := 0
	fl.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return nil
	}
	return func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fl.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			if arg != "" {
				arg = " " + arg
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(tw, "  %s%s\t%s%s\n", flagName(f.Name), arg, usage, def)
		})
		tw.Flush()
	}
}

// checkDir checks that dir is a directory; given is how the command line named it
// ("--dir DIR"), and starts every error.
func checkDir(given, dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such directory", given)
	case err != nil:
		return fmt.Errorf("%s: %w", given, err)
	case !fi.IsDir():
		return fmt.Errorf("%s: not a directory", given)
	}
	return nil
}

const versionAbout = `Prints the version of this build on the first line ("workbinkit VERSION"), then the Go
toolchain and platform, and the commit when the build recorded it. The conformance reports
and User-Agents carry the same version. It is, in order: the value linked in for a release
(-ldflags "-X github.com/workbinkit/workbinkit/internal/version.override=v1.2.3"); the module
version (go install …@v1.2.3, or the pseudo-version go build derives from the tag and commit);
"devel+COMMIT" (".dirty" with uncommitted changes); "devel".
`

func runVersion(_ context.Context, args []string, env *environ) error {
	fl := newFlags("version")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: version takes no arguments, got %q", errUsage, fl.Args())
	}
	info := version.Get()
	rev := "unknown (the build recorded no commit)"
	if info.Revision != "" {
		rev = info.Revision
		if info.Time != "" {
			rev += " (" + info.Time + ")"
		}
		if info.Modified {
			rev += ", with uncommitted changes"
		}
	}
	_, err := fmt.Fprintf(env.stdout, "workbinkit %s\ngo: %s %s\nrevision: %s\n", info.Version, info.GoVersion, info.Platform, rev)
	return err
}
