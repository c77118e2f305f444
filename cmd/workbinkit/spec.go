package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// specCommands are the subcommands of "workbinkit spec".
func specCommands() map[string]command {
	const validationFailure = "the input breaks the contract (with --strict: also values beyond the ones it knows), or cannot be read"
	return map[string]command{
		"lint": {summary: "check the contract (kin-openapi, gojsonschema, examples, asyncapi $refs)", args: "[--dir DIR]",
			about: `Checks the contract: the OpenAPI and AsyncAPI documents and every JSON Schema load, the
examples validate, the asyncapi $refs resolve. Without --dir, the contract built into the binary;
with --dir DIR, a contract directory laid out like spec/.
`,
			failure: "the contract has problems (each printed on standard error), or --dir cannot be read", run: runSpecLint},
		"validate-notification": {summary: "validate one CometD message {\"channel\":…,\"data\":{…}} from FILE or stdin", args: "[--strict] [FILE|-]",
			about: `Validates one CometD message {"channel":…,"data":{…}} read from FILE, or from standard input
when FILE is "-" or missing. Each issue is printed with its JSON pointer; values beyond the ones
the contract knows are warnings (exit 0) unless --strict makes them errors.
`,
			failure: validationFailure, run: func(_ context.Context, args []string, env *environ) error {
				return runValidateNotification(args, env)
			}},
		"validate-document": {summary: "validate a JSON document against one of the contract's schemas (e.g. email.json)", args: "[--strict] SCHEMA [FILE|-]",
			about: `Validates a JSON document, read from FILE or standard input, against SCHEMA, the name of a
schema of the contract (spec/schemas/, e.g. workitem.json; a wrong name lists them).
`,
			failure: validationFailure, run: func(_ context.Context, args []string, env *environ) error {
				return runValidateDocument(args, env)
			}},
		"validate-request": {summary: "validate a request: METHOD PATH and its JSON body", args: "[--strict] METHOD PATH [FILE|-]",
			about: `Validates a request to the REST API: METHOD and PATH (starting with /, e.g. /api/v2/me),
and the JSON body read from FILE, or standard input for "-" (no body when FILE is missing).
`,
			failure: validationFailure, run: runValidateRequest},
		"validate-response": {summary: "validate a reply: METHOD PATH STATUS, its headers and its JSON body", args: "[--strict] [-H 'Name: value']... METHOD PATH STATUS [FILE|-]",
			about: `Validates a reply of the REST API to METHOD PATH: its STATUS, the headers given with -H and the
JSON body read from FILE, or standard input for "-" (no body when FILE is missing).
`,
			failure: validationFailure, run: runValidateResponse},
	}
}

func runSpecLint(ctx context.Context, args []string, env *environ) error {
	fl := newFlags("spec lint")
	dir := fl.String("dir", "", "contract `DIR`ectory laid out like spec/ (default: the built-in contract)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: spec lint takes no arguments, got %q", errUsage, fl.Args())
	}
	fsys, name := spec.Files(), "built-in contract"
	if *dir != "" {
		if err := checkDir("--dir "+*dir, *dir); err != nil {
			return err
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

// validateFlags parses the flags of the validate-* commands, also after positional arguments
// (validate-notification msg.json --strict), and returns the positional ones.
func validateFlags(name string, args []string, headers *headerFlag) (strict bool, pos []string, err error) {
	fl := newFlags("spec " + name)
	fl.BoolVar(&strict, "strict", false, "values beyond the ones the contract knows (warnings) are errors")
	if headers != nil {
		fl.Var(headers, "H", "a response `HEADER` 'Name: value' (repeatable)")
	}
	for {
		if err := parseFlags(fl, args); err != nil {
			return false, nil, err
		}
		if fl.NArg() == 0 {
			return strict, pos, nil
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
}

type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }

func (f *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q is not 'Name: value'", v)
	}
	f.h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

// readInput reads FILE, or stdin for "-" (or when optional is false and there is no FILE),
// within MaxBodyBytes. ok is false when there is no input.
func readInput(pos []string, optional bool, env *environ) (data []byte, ok bool, err error) {
	switch {
	case len(pos) == 0 && optional:
		return nil, false, nil
	case len(pos) == 0 || pos[0] == "-":
		data, err = io.ReadAll(io.LimitReader(env.stdin, spec.MaxBodyBytes+1))
	default:
		data, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return nil, false, err
	}
	if len(data) > spec.MaxBodyBytes {
		return nil, false, fmt.Errorf("the input is larger than %d bytes", spec.MaxBodyBytes)
	}
	return data, true, nil
}

// report prints the issues and warnings of a validation: exit 0 with warnings only (or none),
// 1 with issues; under --strict the warnings are among the issues.
func report(what string, err error, warnings []spec.Issue, env *environ) error {
	issues := spec.IssuesOf(err)
	if err != nil && issues == nil {
		return err
	}
	for _, is := range issues {
		fmt.Fprintln(env.stdout, is)
	}
	for _, w := range warnings {
		fmt.Fprintln(env.stdout, "warning:", w)
	}
	if len(issues) > 0 {
		return fmt.Errorf("the %s breaks the contract", what)
	}
	if len(warnings) > 0 {
		_, err = fmt.Fprintf(env.stdout, "ok, with %d warning(s): values beyond the ones the contract knows (--strict makes them errors)\n", len(warnings))
		return err
	}
	_, err = fmt.Fprintln(env.stdout, "ok")
	return err
}

func levelOptions(strict bool, warnings *[]spec.Issue) []spec.Option {
	if strict {
		return []spec.Option{spec.Strict()}
	}
	return []spec.Option{spec.CollectWarnings(warnings)}
}

func runValidateNotification(args []string, env *environ) error {
	strict, pos, err := validateFlags("validate-notification", args, nil)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("%w: validate-notification takes one FILE or -", errUsage)
	}
	data, _, err := readInput(pos, false, env)
	if err != nil {
		return err
	}
	c, err := spec.Load()
	if err != nil {
		return err
	}
	var warnings []spec.Issue
	err = c.ValidateMessage(data, levelOptions(strict, &warnings)...)
	return report("message", err, warnings, env)
}

func runValidateDocument(args []string, env *environ) error {
	strict, pos, err := validateFlags("validate-document", args, nil)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return fmt.Errorf("%w: validate-document takes SCHEMA and one FILE or -", errUsage)
	}
	data, _, err := readInput(pos[1:], false, env)
	if err != nil {
		return err
	}
	c, err := spec.Load()
	if err != nil {
		return err
	}
	var warnings []spec.Issue
	err = c.ValidateDocument(pos[0], data, levelOptions(strict, &warnings)...)
	if errors.Is(err, spec.ErrUnknownSchema) {
		return fmt.Errorf("%w: %v (the schemas: %s)", errUsage, err, strings.Join(c.Schemas(), ", "))
	}
	return report("document", err, warnings, env)
}

// newRequest builds the request METHOD PATH of the validate-request/response commands.
func newRequest(ctx context.Context, method, target string, body []byte) (*http.Request, error) {
	if !strings.HasPrefix(target, "/") {
		return nil, fmt.Errorf("%w: PATH %q must start with /, e.g. %s/me", errUsage, target, spec.BasePath)
	}
	r, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), "http://127.0.0.1"+target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r, nil
}

func runValidateRequest(ctx context.Context, args []string, env *environ) error {
	strict, pos, err := validateFlags("validate-request", args, nil)
	if err != nil {
		return err
	}
	if len(pos) < 2 || len(pos) > 3 {
		return fmt.Errorf("%w: validate-request takes METHOD PATH [FILE|-]", errUsage)
	}
	body, _, err := readInput(pos[2:], true, env)
	if err != nil {
		return err
	}
	r, err := newRequest(ctx, pos[0], pos[1], body)
	if err != nil {
		return err
	}
	c, err := spec.Load()
	if err != nil {
		return err
	}
	var warnings []spec.Issue
	_, err = c.ValidateRequestBytes(ctx, r, body, levelOptions(strict, &warnings)...)
	return report("request", withAllowedMethods(c, r, err), warnings, env)
}

func runValidateResponse(ctx context.Context, args []string, env *environ) error {
	headers := &headerFlag{h: http.Header{}}
	strict, pos, err := validateFlags("validate-response", args, headers)
	if err != nil {
		return err
	}
	if len(pos) < 3 || len(pos) > 4 {
		return fmt.Errorf("%w: validate-response takes METHOD PATH STATUS [FILE|-]", errUsage)
	}
	status, err := strconv.Atoi(pos[2])
	if err != nil || status < 100 || status > 599 {
		return fmt.Errorf("%w: STATUS %q is not an HTTP status", errUsage, pos[2])
	}
	body, ok, err := readInput(pos[3:], true, env)
	if err != nil {
		return err
	}
	if ok && headers.h.Get("Content-Type") == "" {
		headers.h.Set("Content-Type", "application/json")
	}
	r, err := newRequest(ctx, pos[0], pos[1], nil)
	if err != nil {
		return err
	}
	c, err := spec.Load()
	if err != nil {
		return err
	}
	var warnings []spec.Issue
	err = c.ValidateResponse(ctx, r, status, headers.h, body, levelOptions(strict, &warnings)...)
	return report("reply", withAllowedMethods(c, r, err), warnings, env)
}

// withAllowedMethods adds to a method the path does not take the methods it does.
func withAllowedMethods(c *spec.Contract, r *http.Request, err error) error {
	if !errors.Is(err, spec.ErrMethodNotAllowed) {
		return err
	}
	if allowed := c.AllowedMethods(r); len(allowed) > 0 {
		return fmt.Errorf("%w (the path takes %s)", err, strings.Join(allowed, ", "))
	}
	return err
}
