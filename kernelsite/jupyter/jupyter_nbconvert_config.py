# Jupyter configuration for the notebooks the build executes (mkdocs-jupyter loads it through
# JUPYTER_CONFIG_PATH, set by kernelsite/plugin.py). The kernel talks to the build over local
# sockets (IPC) instead of unencrypted TCP: nothing leaves the machine, and the kernel has no
# reason to warn about eavesdropping on every run.
import os
import tempfile

c = get_config()  # noqa: F821 (provided by Jupyter's config loader)
c.KernelManager.transport = "ipc"
c.KernelManager.ip = os.path.join(tempfile.gettempdir(), f"kernelsite-kernel-{os.getpid()}")
