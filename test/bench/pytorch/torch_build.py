"""What the installed torch was built with, for the benchmarks' reports (imported after torch is known to be present)."""
import torch


def blas() -> str:
    """The BLAS this torch build uses ("generic" is the slow reference BLAS some distributions build with)."""
    config = torch.__config__.show()
    start = config.find("BLAS_INFO=")
    return config[start + len("BLAS_INFO="):].split(",")[0] if start >= 0 else "unknown"
