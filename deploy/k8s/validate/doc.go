// Package validate checks deploy/k8s offline, in `make test`: every object is decoded strictly
// with the Kubernetes API's own Go types (an unknown or misspelt field, a wrong type or a
// duplicate key is an error, as the API server's strict field validation would report), and
// the objects' references to each other are checked. It is a module of its own so that the
// Kubernetes API modules stay out of Lantian's build.
package validate
