// Package deploy holds what runs kbench's shards on a real distributed
// engine: Kubernetes manifests (kubernetes/), the image's Dockerfile and a
// Grafana dashboard of the live metrics (grafana/). It has no Go code of
// its own; its test decodes the manifests strictly into the Kubernetes API
// types and checks they agree with each other, with README.md, and with
// the metrics kbench serves. It is a module of its own so that those types
// stay out of kbench's module graph. See README.md for how to use them.
package deploy
