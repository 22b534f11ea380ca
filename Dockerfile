# model-gate as a GitHub Docker container action (action.yml: runs.image: Dockerfile).
#
# Rules from "Dockerfile support for GitHub Actions": FROM first with a pinned tag, no USER
# (file commands under /github/file_commands must stay writable), no WORKDIR (the runner
# mounts the checkout at /github/workspace and makes it the working directory), exec-form
# ENTRYPOINT with an absolute path.
#
# The runner builds this file with Docker, which runs each RUN with /bin/sh -c: every RUN below
# starts with `set -eu` itself (no SHELL instruction), so a failing command fails the build
# under Docker, BuildKit, podman and buildah alike (scripts/container-smoke builds it with
# `podman build --format docker`, i.e. Docker semantics).
#
# BASE_IMAGE can be overridden: scripts/container-smoke builds with
# --build-arg BASE_IMAGE=localhost/pybase (Debian bookworm + python3 3.11 + python3-venv).
# It must be a Debian bookworm image with Python 3.11: container/requirements.txt pins the
# cp311 wheels (scripts/container-lock regenerates it). Both stages use the same base, so the
# venv's interpreter symlink stays valid in the final image.
ARG BASE_IMAGE=python:3.11.13-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

# A C compiler for gate's compiled bootstrap kernel and CSV scanner (gate/resampling/_ckernels.c,
# gate/data/_csvscan.c, built by setup.py),
# in the build stage only: the final stage copies the venv, not the compiler. Debian bookworm's gcc
# (its only version, 4:12.2.0-3) and the libc headers of exactly the base's libc6; Python's headers
# from Debian too, at the base's own Python version, where the base's Python has none (a Debian-python
# base such as localhost/pybase; the python:*-slim images ship theirs). Every package is pinned with
# `=version` inside $packages, which hadolint cannot see (DL3008), and $packages is a list of words
# (SC2086).
# hadolint ignore=DL3008,SC2086
RUN set -eu; \
    packages="gcc=4:12.2.0-3 libc6-dev=$(dpkg-query -W -f='${Version}' libc6)"; \
    if ! python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then \
        packages="$packages libpython3.11-dev=$(dpkg-query -W -f='${Version}' libpython3.11-stdlib)"; \
    fi; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null; \
    rm -rf /var/lib/apt/lists/*

# Every third-party distribution, from the hash-pinned lock (wheels only; pip refuses anything
# unpinned or with another hash). Only the lock is copied, so this expensive layer is reused by
# every build that does not change it.
COPY container/requirements.txt /src/container/requirements.txt
RUN set -eu; \
    python3 -m venv /opt/model-gate; \
    /opt/model-gate/bin/pip install --no-cache-dir --only-binary :all: --require-hashes \
        -r /src/container/requirements.txt

# The package itself, non-editable, from the copied tree: no index and no build isolation, so
# nothing unpinned is fetched; pip fails if the lock lacks a dependency of the extras.
# Then slim the venv, deleting only what nothing left can load: test suites, pyarrow's C++
# headers and Cython sources, pyarrow Flight and S3 (optional modules that pyarrow imports
# inside try/except; only they link libarrow_flight/libarrow_s3), the unversioned and
# fully-versioned duplicates of libarrow_python* (the loader uses the .so.N name), and
# pip/setuptools. container/verify.py proves it: it records which shared libraries every ELF
# file finds before, checks each remaining one finds them after, that the venv holds exactly
# the pinned distributions, that every gate module imports, that gate reads CSV, CSV.gz, JSONL
# and Parquet, that gate draws its SVG plots, and that the C kernel was built and counts exactly as
# the numpy path does.
COPY . /src/
RUN set -eu; \
    venv=/opt/model-gate; \
    "$venv/bin/pip" install --no-cache-dir --no-index --no-build-isolation "/src[parquet,duckdb]"; \
    "$venv/bin/python" /src/container/verify.py record /tmp/libraries.json; \
    sp="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"; \
    find "$sp" -type d -name tests -prune -exec rm -rf {} +; \
    pa="$sp/pyarrow"; \
    rm -rf "$pa/include" "$pa/includes" "$pa/src" "$pa"/*.pxd "$pa"/*.pyx "$pa"/*.pxi "$pa"/_pyarrow_cpp_tests* \
           "$pa"/*flight* "$pa"/_s3fs* "$pa"/libarrow_s3.so* "$pa"/libarrow_python*.so "$pa"/libarrow_python*.so.*.*.*; \
    "$venv/bin/python" -m pip uninstall -y -q pip setuptools; \
    MPLBACKEND=Agg "$venv/bin/python" /src/container/verify.py build \
        /src/container/requirements.txt /src/pyproject.toml /tmp/libraries.json; \
    "$venv/bin/model-gate-action" --help >/dev/null; \
    rm /tmp/libraries.json

FROM ${BASE_IMAGE}
COPY --from=build /opt/model-gate /opt/model-gate
# model-gate and model-gate-action on PATH (the GitLab component runs `model-gate check`).
ENV PATH="/opt/model-gate/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg
ENTRYPOINT ["/opt/model-gate/bin/model-gate-action"]
