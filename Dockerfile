# model-gate as a GitHub Docker container action (action.yml: runs.image: Dockerfile).
#
# Rules from "Dockerfile support for GitHub Actions": FROM first with a pinned tag, no USER
# (file commands under /github/file_commands must stay writable), no WORKDIR (the runner
# mounts the checkout at /github/workspace and makes it the working directory), exec-form
# ENTRYPOINT with an absolute path.
#
# BASE_IMAGE can be overridden: scripts/container-smoke builds with
# --build-arg BASE_IMAGE=localhost/pybase (Debian bookworm + python3 3.11 + python3-venv).
# Only `python3 -m venv` is used, so any Debian-based Python 3.10+ image works. Both stages
# use the same base, so the venv's interpreter symlink stays valid in the final image.
ARG BASE_IMAGE=python:3.11.13-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

# Dependencies first (only pyproject.toml is copied), so the expensive layer is reused by
# builds that change only the gate/ sources.
COPY pyproject.toml /src/pyproject.toml
RUN python3 -m venv /opt/model-gate \
 && /opt/model-gate/bin/pip install --no-cache-dir "/src[plots,parquet,accel]"

# The package itself: a regular (non-editable) install from the copied source tree.
COPY . /src/
RUN /opt/model-gate/bin/pip install --no-cache-dir --no-deps --force-reinstall "/src[plots,parquet,accel]"

# Slim the venv: test suites, C headers, pyarrow components model-gate never loads (Flight,
# Substrait, S3 — pyarrow imports them optionally), and pip/setuptools themselves. Then prove
# that everything the gate imports still loads, including a Parquet round trip, and compile the
# numba kernels (accel extra) into their cache so no run pays the ~2-3 s of compilation.
SHELL ["/bin/sh", "-eu", "-c"]
RUN sp="$(/opt/model-gate/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"; \
    find "$sp" -type d -name tests -prune -exec rm -rf {} +; \
    rm -rf "$sp/pyarrow/include" "$sp"/pyarrow/*flight* "$sp"/pyarrow/*substrait* "$sp"/pyarrow/*s3* \
           "$sp"/pyarrow/*.pxd "$sp"/pyarrow/*.pyx "$sp"/pyarrow/_pyarrow_cpp_tests*; \
    /opt/model-gate/bin/python -m pip uninstall -y -q pip setuptools; \
    MPLBACKEND=Agg /opt/model-gate/bin/python -c 'import numpy, scipy.stats, yaml, jsonschema, requests, \
matplotlib.pyplot, pyarrow as pa, pyarrow.parquet as pq, pyarrow.dataset, io, gate, gate.cli.action, gate.cli.main; \
b = io.BytesIO(); pq.write_table(pa.table({"y": [0, 1]}), b); b.seek(0); assert pq.read_table(b).num_rows == 2'; \
    /opt/model-gate/bin/model-gate-action --help >/dev/null; \
    /opt/model-gate/bin/python -c 'from gate.poisson import compile_kernels; assert compile_kernels() > 0'

FROM ${BASE_IMAGE}
COPY --from=build /opt/model-gate /opt/model-gate
# model-gate and model-gate-action on PATH (the GitLab component runs `model-gate check`).
ENV PATH="/opt/model-gate/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg
ENTRYPOINT ["/opt/model-gate/bin/model-gate-action"]
