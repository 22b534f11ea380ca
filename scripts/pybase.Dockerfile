# Local stand-in for the pinned python:3.11-slim-bookworm base image, used where no
# image registry is reachable (our CI machines). Built by scripts/container-base on top
# of localhost/debian:bookworm, a debootstrap'ed minbase bookworm root filesystem.
# Debian bookworm's python3 is 3.11, the same minor version as the published default base.
ARG DEBIAN_IMAGE=localhost/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
