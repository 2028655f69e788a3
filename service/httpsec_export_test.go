package service

import "net/http"

// HTTPServerOf returns the server `lantian run` serves the console with, for tests.
func HTTPServerOf(h http.Handler) *http.Server { return (&Service{}).httpServer(h) }
