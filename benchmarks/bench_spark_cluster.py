"""Benchmark the Spark target on a real standalone cluster (a master and two workers on
127.0.0.1, started from the pip-installed PySpark), beside DuckDB, on the same landing.

    .venv-spark/bin/python benchmarks/bench_spark_cluster.py [--landing data/sample] [--lines N]
        [--with-tests] [--keep]

Needs the spark extra (pip install -e ".[spark]") and Java 17. The pip package ships
bin/spark-class but not sbin/start-master.sh or start-worker.sh, so the daemons are started
as `spark-class org.apache.spark.deploy.master.Master` / `...worker.Worker` subprocesses,
bound to 127.0.0.1 (SPARK_LOCAL_IP, --host) on free ports, and stopped at the end whatever
happens. The dbt build goes through the profile's spark target with
REE_SPARK_MASTER=spark://127.0.0.1:<port>. Prints: cluster start, Spark session start on
the cluster, the Spark build, and the DuckDB build of the same selection.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "scripts"))

VARS = "{as_of_date: '2026-12-01'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class Cluster:
    """A standalone master and `workers` workers on 127.0.0.1, as child processes."""

    def __init__(self, root: Path, workers: int = 2, cores: int = 1, memory: str = "1g"):
        import pyspark

        self.spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
        if not self.spark_class.exists():
            raise FileNotFoundError(f"{self.spark_class}: this PySpark has no bin/spark-class")
        self.root, self.workers, self.cores, self.memory = root, workers, cores, memory
        self.port, self.ui_port = free_port(), free_port()
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOG_DIR": str(root / "logs"),
            "SPARK_WORKER_DIR": str(root / "work"),
            "SPARK_NO_DAEMONIZE": "1",
        }

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _start(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("w")
        self.procs.append(
            subprocess.Popen([str(self.spark_class), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        )

    def start(self) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        self._start(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--webui-port",
            str(self.ui_port),
        )
        wait_for_port(self.port, 90)
        for i in range(self.workers):
            self._start(
                f"worker-{i + 1}",
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
                "--webui-port",
                str(free_port()),
                "--cores",
                str(self.cores),
                "--memory",
                self.memory,
                "--work-dir",
                str(self.root / "work" / str(i + 1)),
                self.url,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the master logs each registration
            text = (self.root / "master.log").read_text(errors="replace")
            if text.count("Registering worker") >= self.workers:
                return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.5)
        raise RuntimeError(f"{self.workers} workers did not register; see {self.root}/*.log")

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--landing", type=Path, default=PROJECT / "data" / "sample")
    ap.add_argument("--lines", type=int, default=None, help="generate a landing of N lines instead (ree sample)")
    ap.add_argument("--with-tests", action="store_true", help="also run the data tests (default: seeds and models)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary warehouse (its path is printed)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_spark_"))
    os.environ.update(
        REE_WAREHOUSE_DIR=str(tmp / "warehouse"),
        DBT_PROFILES_DIR=str(PROJECT),
        DBT_LOG_PATH=str(tmp / "warehouse" / "dbt_logs"),
        SPARK_LOCAL_IP="127.0.0.1",
    )
    from ree.build import SPARK_SELECTION, dbt, spark_environment
    from ree.load import main as load_main

    landing = args.landing
    if args.lines:
        from ree.sample import generate

        landing = tmp / "landing"
        generate(out=landing, lines=args.lines, seed=1, quiet=True)
    if load_main(landing) != 0:
        return 1
    exclude = [] if args.with_tests else ["--exclude", "resource_type:test", "resource_type:unit_test"]
    build_args = ["build", "--select", SPARK_SELECTION, *exclude, "--vars", VARS]

    os.environ["DBT_TARGET_PATH"] = str(tmp / "warehouse" / "dbt_target")
    started = time.perf_counter()
    duck_ok = dbt(*build_args)
    duck_seconds = time.perf_counter() - started

    cluster = Cluster(tmp / "cluster")
    try:
        started = time.perf_counter()
        cluster.start()
        cluster_seconds = time.perf_counter() - started
        os.environ["REE_SPARK_MASTER"] = cluster.url
        spark_environment()

        # in a child process: the JVM a session starts lives as long as its Python process,
        # and dbt's session must start its own with the profile's driver options
        probe = (
            "from pyspark.sql import SparkSession; import sys; "
            "s = SparkSession.builder.master(sys.argv[1]).appName('ree-bench-start')"
            ".config('spark.ui.enabled', 'false').config('spark.driver.host', '127.0.0.1')"
            ".config('spark.driver.bindAddress', '127.0.0.1').getOrCreate(); "
            "s.sql('select 1').collect(); s.stop()"
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", probe, cluster.url],
            check=True,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        session_seconds = time.perf_counter() - started

        os.environ["DBT_TARGET_PATH"] = str(tmp / "warehouse" / "spark" / "dbt_target")
        started = time.perf_counter()
        spark_ok = dbt(*build_args, "--target", "spark")
        spark_seconds = time.perf_counter() - started
    finally:
        cluster.stop()

    nodes = "seeds + models" + (" + tests" if args.with_tests else "")
    print(f"landing              {landing}")
    print(f"selection            {SPARK_SELECTION} ({nodes})")
    print(f"cluster start        {cluster_seconds:6.1f} s  (master + 2 workers, 1 core / 1 GiB each, {cluster.url})")
    print(f"Spark session start  {session_seconds:6.1f} s  (a Python process, driver JVM and executors on the cluster)")
    print(
        f"Spark build          {spark_seconds:6.1f} s  {'ok' if spark_ok else 'FAILED'} (includes its own session start)"
    )
    print(f"DuckDB build         {duck_seconds:6.1f} s  {'ok' if duck_ok else 'FAILED'}")
    if args.keep:
        print(f"kept                 {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if duck_ok and spark_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
