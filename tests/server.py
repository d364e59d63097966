"""A real trytond with sao and the demo data, for HTTP and browser tests.

One server per test process: the first test that needs it builds a demo
database (on the backend of TRYTOND_DATABASE_URI) with the demo generator
and starts `trytond` on a free loopback port; it is stopped at exit."""
import atexit
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from trytond.protocols.jsonrpc import JSONEncoder

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = 'demo2026'
_server = None


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class DemoServer:

    def __init__(self, customers=40):
        self.tmp = Path(tempfile.mkdtemp(prefix='crm-e2e-'))
        self.uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
        self.database = f'e2e_{os.getpid()}'
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.config = self.tmp / 'trytond.conf'
        self.config.write_text(
            "[database]\n"
            f"uri = {self.uri}\n"
            f"path = {self.tmp / 'db'}\n"
            "language = zh_CN\n"
            "list = False\n"
            "[web]\n"
            f"listen = 127.0.0.1:{self.port}\n"
            f"root = {ROOT / '.sao'}\n"
            "[session]\n"
            "max_attempt = 1000\n"
            "[password]\n"
            "length = 8\n")
        self.env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_') and k not in {'DB_NAME', 'DB_CACHE'}}
        self.env['TRYTOND_CONFIG'] = str(self.config)
        self.process = None
        self.customers = customers

    def start(self):
        result = subprocess.run(
            [str(BIN / 'crm-oa-demo'), '-c', str(self.config),
                '-d', self.database, '--customers', str(self.customers),
                '--reset', '--password', PASSWORD],
            env=self.env, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(
                "demo database failed:\n" + result.stdout + result.stderr)
        self.log = open(self.tmp / 'trytond.log', 'w')
        self.process = subprocess.Popen(
            [str(BIN / 'trytond'), '-c', str(self.config),
                '-d', self.database],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        raise RuntimeError("trytond did not start:\n"
            + (self.tmp / 'trytond.log').read_text())

    def stop(self):
        if getattr(self, 'log', None):
            self.log.close()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.uri.startswith('postgresql'):
            subprocess.run(
                [str(BIN / 'python'), '-c',
                    'import sys; from trytond.config import config; '
                    'config.update_etc(sys.argv[1]); '
                    'from trytond import backend; '
                    'db = backend.Database().connect(); '
                    'c = db.get_connection(autocommit=True); '
                    'db.drop(c, sys.argv[2])',
                    str(self.config), self.database],
                env=self.env, capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # JSON-RPC, as sao speaks it
    def rpc(self, method, params, session=None):
        headers = {'Content-Type': 'application/json'}
        if session:
            token = base64.b64encode(
                f'{session[0]}:{session[1]}:{session[2]}'.encode()).decode()
            headers['Authorization'] = f'Session {token}'
        request = urllib.request.Request(
            f'{self.url}{self.database}/rpc/',
            data=json.dumps({'id': 1, 'method': method, 'params': params},
                cls=JSONEncoder).encode(),
            headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RpcError(error.code, error.reason) from error
        if 'error' in answer and answer['error']:
            raise RpcError(answer['error'])
        return answer['result']

    def login(self, login, password=PASSWORD):
        result = self.rpc('common.db.login',
            [login, {'password': password}, 'zh_CN'])
        return (login, result[0], result[1])


class RpcError(Exception):
    pass


def get_server():
    global _server
    if _server is None:
        _server = DemoServer().start()
        atexit.register(_server.stop)
    return _server
