"""Fresh Python processes for the download tests, forked from a warm server.

Starting Python and importing numpy, scipy, torch and matplotlib costs several seconds of CPU, paid
again by every process that runs a download. A server, started once per test process, imports the
third-party libraries the downloads use and nothing of the project's snippets (no snippet, no
helper module: a download that forgets one still fails), then waits on a unix socket. For every
run it forks a child, which starts as a reader's fresh process would: its own working folder, that
folder first on ``sys.path``, the reader's environment and ``sys.argv``, fresh random seeds, no
figure, no thread pool yet (the server never computes, so torch and the BLAS libraries start
their threads in the child, with their default count), and, for a script, its own CPU limit.

Two kinds of server:

* ``code`` runs a ``.py`` download as ``python <script>`` would (a fresh ``__main__``) and records
  its simple module-level values, as the build does;
* ``kernel`` also imports ipykernel and starts one Jupyter kernel per request. Jupyter starts
  ``warm.py launch SOCKET -f CONNECTION_FILE`` (see ``kernel_specs``); that launcher asks the
  server for a kernel child, hands it its standard streams, forwards signals to it, and exits
  with its exit status, so that Jupyter manages it as the kernel process.

The child ends when its client hangs up (a hang, or a test process that died); the server ends
when its parent does. Run as ``python warm.py serve code|kernel SOCKET`` or
``python warm.py launch SOCKET ARGS...``; the tests use ``Server``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

# What the downloads import (the helpers they ship aside): imported once by the server.
HEAVY = [
    "numpy",
    "scipy",
    "scipy.fft",
    "scipy.ndimage",
    "scipy.optimize",
    "scipy.signal",
    "scipy.stats",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.utils.flop_counter",
    "torch._dynamo",  # the first optimiser step imports it (about 2 s of CPU)
    "matplotlib",
    "matplotlib.colors",
    "matplotlib.patches",
    "matplotlib.pyplot",
    "PIL.Image",
    "skimage",
    "skimage.data",
    "skimage.feature",
    "skimage.filters",
    "skimage.transform",
    "sklearn.datasets",
    "sklearn.decomposition",
    "sklearn.model_selection",
]
PRELOAD = {
    "code": [*HEAVY, "kernelsite.values"],  # kernelsite.values records the values
    # What ipykernel needs, except ipykernel.kernelapp, whose defaults read the kernel's
    # environment (JPY_PARENT_PID) when it is imported: each kernel child imports it.
    "kernel": [*HEAVY, "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython.core.shellapp"],
}
NOT_PRELOADED = ["ipykernel.kernelapp", "debugpy"]  # they read JPY_* or PYDEVD_* variables
# The environment a child gets must be the one the server imported the libraries with, but for
# variables that change from test to test and that only the child's own imports read.
VARIES = ("PYTEST_CURRENT_TEST", "JPY_", "PYDEVD_")


# -- The server and its children ----------------------------------------------------------------


def serve(kind: str, path: str) -> None:
    """Import the libraries, then fork one child per request until the parent process ends."""
    base_path = sys.path[1:]  # a fresh interpreter's path without this script's folder
    del sys.path[0]
    started = dict(os.environ)
    import importlib
    import threading

    for name in PRELOAD[kind]:
        importlib.import_module(name)
    if threading.active_count() != 1:  # forking copies no thread: there must be none
        raise SystemExit(f"warm server: importing started threads: {threading.enumerate()}")
    if loaded := [name for name in NOT_PRELOADED if name in sys.modules]:
        raise SystemExit(f"warm server: {loaded} must not be imported here")
    # what the imports set, such as threadpoolctl's KMP_DUPLICATE_LIB_OK
    added = {k: v for k, v in os.environ.items() if started.get(k) != v}
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    listener.listen(8)
    os.rename(path + ".new", path)  # ready: the socket appears only now
    while os.getppid() == parent:
        if not select.select([listener], [], [], 1.0)[0]:
            continue
        connection, _ = listener.accept()
        with connection:
            try:
                request, fds = receive(connection)
            except (OSError, ValueError):
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    listener.close()
                    connection.close()
                    child(kind, request, fds, base_path, started, added)
                finally:
                    os._exit(70)  # never back into the server's loop
            for fd in fds:
                os.close(fd)
            report(connection, pid)
    os.unlink(path)


def report(connection: socket.socket, pid: int) -> None:
    """Tell the client the child's pid, then its exit code; stop the child if the client goes."""
    try:
        connection.sendall(f"{pid}\n".encode())
    except OSError:
        os.kill(pid, signal.SIGKILL)
    exited = os.pidfd_open(pid)
    try:
        while exited not in select.select([connection, exited], [], [])[0]:
            try:
                hung_up = not connection.recv(1)
            except OSError:
                hung_up = True
            if hung_up:  # the client gave up on the run, or died
                os.kill(pid, signal.SIGKILL)
                break
    finally:
        os.close(exited)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with contextlib.suppress(OSError):  # the client is gone
        connection.sendall(f"{code}\n".encode())


def child(
    kind: str, request: dict, fds: list[int], base_path: list[str], started: dict, added: dict
) -> None:
    """Become the fresh process the request asks for; ends the process."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: end with the server
    for target, fd in zip(request["streams"], fds, strict=True):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    code = 1
    try:
        env = request["env"]
        differ = {k for k in {*env, *started} if env.get(k) != started.get(k)}
        if differ := sorted(k for k in differ if not k.startswith(VARIES)):
            raise RuntimeError(f"the warm server was started with other values of {differ}")
        os.environ.clear()
        os.environ.update({**env, **added})
        os.chdir(request["cwd"])
        sys.argv = list(request["argv"])
        sys.path[:] = [*request["path"], *base_path]
        reseed()
        if kind == "code":
            run_script(request)
        else:
            run_kernel()
        code = 0
    except SystemExit as stop:  # as the interpreter ends on it
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def reseed() -> None:
    """Seed from the system, as each new process does, the generators the server created."""
    import random

    random.seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    if "torch" in sys.modules:
        sys.modules["torch"].default_generator.seed()


def new_main(path: str, **attributes):
    """A new, empty ``__main__`` module for the program at ``path``."""
    import builtins
    import types

    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    for name, value in attributes.items():
        setattr(main, name, value)
    sys.modules["__main__"] = main
    if "__mp_main__" in sys.modules:  # multiprocessing's name for the main module
        sys.modules["__mp_main__"] = main
    return main


def run_script(request: dict) -> None:
    """``python <script>`` (``sys.argv[0]``), then its simple module-level values as JSON."""
    import importlib.machinery
    import resource

    from kernelsite.values import simple_values

    path = os.path.abspath(sys.argv[0])  # __file__ is absolute, sys.argv[0] as typed
    loader = importlib.machinery.SourceFileLoader("__main__", path)
    main = new_main(path, __loader__=loader, __cached__=None)
    with open(path, "rb") as source:
        code = compile(source.read(), path, "exec", dont_inherit=True)
    limit = request["cpu_limit"]
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))
    exec(code, main.__dict__)
    with open(request["values"], "w") as out:
        json.dump(simple_values(main.__dict__), out)


def run_kernel() -> None:
    """``python -m ipykernel_launcher <args>``."""
    import importlib.util

    spec = importlib.util.find_spec("ipykernel_launcher")
    sys.argv[0] = spec.origin
    new_main(spec.origin, __spec__=spec, __loader__=spec.loader, __package__="")
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()  # what ipykernel_launcher does (launch_new_instance)
    app.initialize()
    # multiprocessing, imported by the server, names the main module as it was then; a fresh
    # kernel imports it later, when the main module is already IPython's namespace
    if "__mp_main__" in sys.modules:
        sys.modules["__mp_main__"] = sys.modules["__main__"]
    app.start()


# -- The messages -------------------------------------------------------------------------------


def send(connection: socket.socket, request: dict, fds: list[int]) -> None:
    data = json.dumps(request).encode()
    socket.send_fds(connection, [len(data).to_bytes(8, "big") + data], fds)


def receive(connection: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 8)
    size = int.from_bytes(data[:8], "big")
    data = data[8:]
    while len(data) < size:
        more = connection.recv(size - len(data))
        if not more:
            raise ValueError("truncated request")
        data += more
    return json.loads(data), fds


def request_run(path: str, request: dict, fds: list[int], timeout: float | None) -> int:
    """Have the server at ``path`` fork a child for ``request`` and return its exit code. A child
    still running after ``timeout`` seconds is stopped (the server stops it when the client hangs
    up) and TimeoutError is raised."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        send(connection, request, fds)
        lines = connection.makefile("rb")
        lines.readline()  # the child's pid: it exists
        connection.settimeout(timeout)
        try:
            return int(lines.readline())
        except TimeoutError:
            raise TimeoutError(f"still running after {timeout} s: stopped as hung") from None


# -- The kernel launcher ------------------------------------------------------------------------


def launch(path: str, args: list[str]) -> None:
    """Stand for a kernel child of the server at ``path``: Jupyter starts, signals and waits for
    this process; the kernel itself is the child."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        request = {
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "argv": ["ipykernel_launcher", *args],
            "path": [],  # ipykernel_launcher drops its folder; IPython adds the working folder
            "streams": [0, 1, 2],
        }
        send(connection, request, [0, 1, 2])
        lines = connection.makefile("rb")
        pid = int(lines.readline())

        def forward(signum, _frame):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(signum, forward)
        line = lines.readline()
    code = int(line) if line.strip() else 1
    if code < 0:  # killed by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


# -- For the tests ------------------------------------------------------------------------------


class Server:
    """A warm server of ``kind`` (``code`` or ``kernel``) started with ``env``; ``close()`` it."""

    def __init__(self, kind: str, env: dict[str, str], python_options: Sequence[str] = ()):
        self.folder = Path(tempfile.mkdtemp(prefix="kernelsite-warm-"))
        self.socket = str(self.folder / "socket")
        self.log = self.folder / "server.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, *python_options, __file__, "serve", kind, self.socket],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the terminal's Ctrl-C goes to the tests, not here
            )

    def wait_ready(self, timeout: float) -> None:
        """Wait until it listens (it is importing the libraries); a hang stops at ``timeout``."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.socket):
            if self.process.poll() is not None:
                raise RuntimeError(f"the warm server failed:\n{self.log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the warm server is not ready after {timeout} s")
            time.sleep(0.05)

    def run_script(
        self, folder: Path, script: str, env: dict, cpu_limit: int, timeout: float, out: Path
    ) -> tuple[int, str]:
        """Run ``python <script>`` in ``folder`` (it holds only the download) in a fresh child.
        Writes its values to ``out/values.json``, its output to ``out/stdout`` and
        ``out/stderr``; returns the exit code and the standard error."""
        request = {
            "cwd": str(folder),
            "env": env,
            "argv": [script],
            "path": [str(folder)],
            "streams": [1, 2],
            "cpu_limit": cpu_limit,
            "values": str(out / "values.json"),
        }
        if self.process.poll() is not None:
            raise RuntimeError(f"the warm server died:\n{self.log.read_text()[-4000:]}")
        with open(out / "stdout", "wb") as stdout, open(out / "stderr", "wb") as stderr:
            code = request_run(self.socket, request, [stdout.fileno(), stderr.fileno()], timeout)
        return code, (out / "stderr").read_text(errors="replace")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def kernel_specs(server: Server, folder: Path) -> Path:
    """A kernel-spec folder in ``folder`` whose ``python3`` is the installed one, started by
    ``server`` instead of a new interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3").to_dict()
    argv = spec["argv"]
    module = argv.index("-m")
    if argv[module + 1] != "ipykernel_launcher":
        raise RuntimeError(f"the python3 kernel is not ipykernel's: {argv}")
    spec["argv"] = [sys.executable, __file__, "launch", server.socket, *argv[module + 2 :]]
    (folder / "python3").mkdir(parents=True, exist_ok=True)
    (folder / "python3" / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def python_options_of_kernel() -> list[str]:
    """The interpreter options of the installed python3 kernel (before ``-m``)."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv = KernelSpecManager().get_kernel_spec("python3").argv
    return argv[1 : argv.index("-m")]


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "launch":
        launch(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit(f"usage: {sys.argv[0]} serve code|kernel SOCKET | launch SOCKET ARGS...")
