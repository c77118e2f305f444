//go:build !unix

package main

import "os/exec"

// runJob runs cmd and waits: without Unix process groups there is nothing to arrange.
func runJob(cmd *exec.Cmd) error { return cmd.Run() }

func exitStatus(ee *exec.ExitError) int { return ee.ExitCode() }
