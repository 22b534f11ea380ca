"""The optional C extensions gate.resampling._ckernels and gate.data._csvscan (everything else is in
pyproject.toml).

They are optional in both senses: setuptools builds them when a C compiler is there and goes on without
them when a build fails (``optional=True``), and gate then uses its numpy path (the kernel) or splits the
decoded text in Python (the CSV scanner), which give the same results more slowly (bench/README.md).
Floating-point contraction is turned off so that no fused multiply-add changes a rounding: the kernel's
ranking sums must equal the numpy path's bit for bit, the scanner's floats Python's float().
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_FLAGS = {"msvc": ["/O2", "/fp:precise"]}
_UNIX_FLAGS = ["-O3", "-ffp-contract=off", "-fno-fast-math", "-std=c99"]


class BuildKernels(build_ext):
    """build_ext with the compiler's flags for exact floating point."""

    def build_extensions(self) -> None:
        flags = _FLAGS.get(self.compiler.compiler_type, _UNIX_FLAGS)
        for ext in self.extensions:
            ext.extra_compile_args = flags
        super().build_extensions()


setup(
    ext_modules=[Extension("gate.resampling._ckernels", ["gate/resampling/_ckernels.c"], optional=True),
                 Extension("gate.data._csvscan", ["gate/data/_csvscan.c"], optional=True)],
    cmdclass={"build_ext": BuildKernels},
)
