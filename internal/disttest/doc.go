// Package disttest holds the tests of what the project ships, run as a user gets it: the
// host's release archive from `make dist-host` and the image from `make image`, each
// unpacked into a temporary directory, and only the binary found there used: `version`
// prints the git-describe version, the mock answers, and `conform` passes against it.
package disttest
