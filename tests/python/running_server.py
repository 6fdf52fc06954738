"""A real `hiedge serve` for the Python tests: started on a free port, stopped after."""
import contextlib
import os
import re
import subprocess
import time


@contextlib.contextmanager
def running_server(binary, serve_args, work, timeout_s=60):
    """Runs `binary serve --port 0 --grpc-port -1 *serve_args` in `work` and yields its
    REST port once it listens; raises RuntimeError with its log if it exits or does not
    start within `timeout_s` (a readiness wait, not a synchronising sleep)."""
    log_path = os.path.join(work, "serve.log")
    with open(log_path, "w") as log:
        server = subprocess.Popen([binary, "serve", "--port", "0", "--grpc-port", "-1",
                                   *serve_args], cwd=work, stdout=subprocess.DEVNULL,
                                  stderr=log)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            with open(log_path) as log:
                found = re.search(r"http://[^:]+:(\d+)", log.read())
            if found:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                with open(log_path) as log:
                    raise RuntimeError("hiedge serve did not start: " + log.read())
            time.sleep(0.05)
        yield int(found.group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)
