package encode

// StreamIndented is streamIndented, for the external tests (they import
// packages that import this one).
var StreamIndented = streamIndented

// StdIndent is stdIndent (what encoding/json itself writes).
var StdIndent = stdIndent

// TerminalSafe is terminalSafe, for the external tests.
var TerminalSafe = terminalSafe
