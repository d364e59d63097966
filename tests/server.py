"""A real trytond with sao and the demo data, for HTTP and browser tests.

One server per test process: the first test that needs it runs ./start.sh
--reset (the demo database on the backend of TRYTOND_DATABASE_URI, its mail
sink and trytond, with config/demo.conf as users get it) on free loopback
ports; it is stopped at exit."""
import atexit
import base64
import email
import email.policy
import json
import os
import shutil
import signal
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
    """The demo as ./start.sh serves it: the script itself is run, with
    config/demo.conf; only the database (name, backend, directory) and the
    ports differ"""

    def __init__(self, customers=40):
        self.tmp = Path(tempfile.mkdtemp(prefix='crm-e2e-'))
        self.uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
        self.database = f'e2e_{os.getpid()}'
        self.port = free_port()
        self.mail_port = free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.mail_dir = self.tmp / 'mail'
        self.customers = customers
        # the environment of the tests' process, less the test runner's
        # settings of trytond (the server reads config/demo.conf only)
        self.env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_') and k not in {'DB_NAME', 'DB_CACHE'}}
        self.env.update({
                'HOST': '127.0.0.1', 'PORT': str(self.port),
                'MAIL_PORT': str(self.mail_port), 'DB': self.database,
                'CUSTOMERS': str(customers), 'VAR_DIR': str(self.tmp),
                'DATABASE_URI': self.uri,
                })
        # and what start.sh exports for trytond, for the commands the tests
        # run on the same database (crm-oa-demo, trytond-admin)
        self.config = ROOT / 'config' / 'demo.conf'
        self.env.update({
                'TRYTOND_CONFIG': str(self.config),
                'TRYTOND_DATABASE__URI': self.uri,
                'TRYTOND_DATABASE__PATH': str(self.tmp / 'db'),
                'TRYTOND_EMAIL__URI': f'smtp://127.0.0.1:{self.mail_port}',
                })
        self.process = None

    def start(self):
        self.log = open(self.tmp / 'start.log', 'w')
        self.process = subprocess.Popen(
            [str(ROOT / 'start.sh'), '--reset'], env=self.env, cwd=ROOT,
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        self.check_backend()
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        raise RuntimeError("./start.sh did not serve the demo:\n"
            + (self.tmp / 'start.log').read_text())

    def check_backend(self):
        "The demo runs on the backend asked (the environment set it)"
        sqlite_file = self.tmp / 'db' / f'{self.database}.sqlite'
        if sqlite_file.exists() != self.uri.startswith('sqlite'):
            raise RuntimeError(
                f"the demo server does not run on {self.uri}")

    def stop(self):
        if self.process and self.process.poll() is None:
            # start.sh stops its mail sink and trytond on TERM
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, 'log', None):
            self.log.close()
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

    def mails(self):
        "The messages the demo's mail sink received, oldest first"
        return [email.message_from_bytes(p.read_bytes(),
                policy=email.policy.default)
            for p in sorted(self.mail_dir.glob('*.eml'))]

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


def message(module, xml_id, **values):
    "The zh_CN text of the product's message, as shipped, with its values"
    import polib
    path = ROOT / 'addons' / module / 'locale' / 'zh_CN.po'
    context = f'model:ir.message,text:{xml_id}'
    entry, = [e for e in polib.pofile(str(path)) if e.msgctxt == context]
    return entry.msgstr % values if values else entry.msgstr


def get_server():
    global _server
    if _server is None:
        _server = DemoServer().start()
        atexit.register(_server.stop)
    return _server
