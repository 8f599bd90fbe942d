// Package deploy holds what runs kbench's shards on a real distributed
// engine: Kubernetes manifests (kubernetes/), the image's Dockerfile and a
// Grafana dashboard of the live metrics (grafana/), and mkimage, which writes
// the image without Docker or a registry. Its test decodes the manifests
// strictly into the Kubernetes API types and checks they agree with each
// other, with README.md, and with the metrics kbench serves. It is a module
// of its own so that those types, and mkimage's, stay out of kbench's
// module graph. See README.md for how to use them.
package deploy
