"""Real servers for the scale-out tests: Debian's redis-server and nginx on free ports, each in
its own temporary folder, started and stopped by the tests."""

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass
class Redis:
    port: int
    directory: Path
    tls: bool = False
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.tls:
            return f"rediss://localhost:{self.port}/0"
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        listen = ["--port", str(self.port)]
        if self.tls:
            ca = self.certificate
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.directory / "cert.pem"),
                      "--tls-key-file", str(self.directory / "key.pem"), "--tls-ca-cert-file", str(ca),
                      "--tls-auth-clients", "no"]
        # Append-only persistence, so that records outlive a Redis restart as in production.
        self.process = subprocess.Popen(
            ["redis-server", *listen, "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    @property
    def certificate(self) -> Path:
        """A test CA's certificate (made on first use) that signed Redis's own, for localhost."""
        ca = self.directory / "ca.pem"
        if not ca.exists():
            def openssl(*args):
                subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.directory)
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=vox-test-ca",
                    "-keyout", "ca.key", "-out", "ca.pem")
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "key.pem",
                    "-out", "leaf.csr")
            (self.directory / "leaf.ext").write_text(
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
            openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "1", "-extfile", "leaf.ext", "-out", "cert.pem")
        return ca

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def cli(self, *args: str) -> str:
        tls = ["--tls", "--cacert", str(self.certificate)] if self.tls else []
        return subprocess.run(["redis-cli", "-p", str(self.port), *tls, *args], capture_output=True, text=True,
                              check=True).stdout.strip()


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream vox {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 32m;
        location / {{
            proxy_pass http://vox;
            proxy_http_version 1.1;
            # Streamed answers go out as they are written.
            proxy_buffering off;
            proxy_read_timeout 300s;
            # A replica that refuses the connection is skipped (it never saw the request).
            proxy_next_upstream error timeout;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, upstream_ports: list[int]) -> "Nginx":
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in upstream_ports)
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.directory, servers=servers, port=self.port))
        self.process = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(self.directory), "-g", "daemon off; user root;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
