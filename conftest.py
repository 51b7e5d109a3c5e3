"""Test session set-up shared by tests/ and bench/.

Without a real NVIDIA GPU, the CUDA backend is exercised through Numba's CUDA simulator
(NUMBA_ENABLE_CUDASIM=1, small launches), so CI tests every CUDA kernel against the reference.
It must be set before Numba is first imported. Set COMPUTESIM_TEST_CUDASIM=0 to opt out.
"""

import glob
import os

if (
    os.environ.get("COMPUTESIM_TEST_CUDASIM", "1") == "1"
    and not glob.glob("/dev/nvidia[0-9]*")
    and "NUMBA_ENABLE_CUDASIM" not in os.environ
):
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

# The kernel tests launch tiny grids on purpose; numba-cuda warns about those on a real GPU, and
# pytest's filterwarnings = error would turn the warning into a failure.
os.environ.setdefault("NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS", "0")
