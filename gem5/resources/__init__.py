"""gem5.resources: resources (binaries, disk images, checkpoints, workloads) resolved from local files."""
