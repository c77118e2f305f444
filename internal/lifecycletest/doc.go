// Package lifecycletest drives the mock with the official CometD JavaScript client through
// the interaction's life after the pull (issue 12): a workitem pulled, given user data and
// completed; a chat pulled, written to by its customer (through the mock's control plane),
// answered and completed. The scripts are in testdata/; the tests run them with node.
package lifecycletest
