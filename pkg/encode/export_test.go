package encode

// StreamIndented is streamIndented, for the external tests (they import
// packages that import this one).
var StreamIndented = streamIndented
