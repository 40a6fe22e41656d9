"""smimetui's tests: tests/core/X/ tests core/X, tests/cli/ the command line, tests/tui/ the app;
the suites that test from the outside have folders of their own (adversarial, interop, terminal,
install); tests/support/ holds what tests and benchmarks share."""
