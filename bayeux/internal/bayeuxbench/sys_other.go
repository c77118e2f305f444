//go:build !unix

package main

func processCPUMicros() int64 { return 0 }

func processRSS() int64 { return 0 }

func raiseFDLimit(uint64) error { return nil }

func machineBusyMicros() int64 { return 0 }
