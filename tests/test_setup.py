"""The set-up commands answer wrong input with a clear message, not a
traceback: port in use, database already there, Node.js missing."""
import os
import re
import socket
import subprocess
import tempfile
import unittest
from pathlib import Path

from tests.server import BIN, ROOT, get_server

LOGINS = ['gm', 'manager', 'supervisor', 'sales', 'sales2', 'office', 'agent',
    'consultant']


def run(command, env=None):
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
        env=env or dict(os.environ), timeout=600)


class SetupErrorsTestCase(unittest.TestCase):

    def assertClearError(self, result, text):
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn(text, result.stderr)
        self.assertNotIn('Traceback', result.stderr)

    def test_port_in_use(self):
        "start.sh refuses a port that is taken and suggests another one"
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen()
            port = busy.getsockname()[1]
            env = dict(os.environ, HOST='127.0.0.1', PORT=str(port))
            result = run(['./start.sh'], env)
        self.assertClearError(result, f"port {port} on 127.0.0.1 is already in use")
        self.assertIn(f"PORT={port + 1}", result.stderr)

    def test_mail_port_in_use(self):
        "start.sh refuses a busy port for its mail sink and suggests another"
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen()
            port = busy.getsockname()[1]
            with socket.socket() as free:
                free.bind(('127.0.0.1', 0))
                web = free.getsockname()[1]
            env = dict(os.environ, HOST='127.0.0.1', PORT=str(web),
                MAIL_PORT=str(port))
            result = run(['./start.sh'], env)
        self.assertClearError(result,
            f"port {port} on 127.0.0.1 (the demo's mail sink) is already "
            "in use")
        self.assertIn(f"MAIL_PORT={port + 1}", result.stderr)

    def test_bad_port(self):
        "A port that is not a number is refused"
        result = run(['./start.sh'], dict(os.environ, PORT='80a'))
        self.assertClearError(result, "PORT must be a number")

    def test_unknown_option(self):
        result = run(['./start.sh', '--bogus'])
        self.assertClearError(result, "unknown option --bogus")

    def test_node_missing(self):
        "Without Node.js, start.sh says what to install"
        with tempfile.TemporaryDirectory() as bin_dir:
            for tool in ['dirname', 'readlink']:
                path = subprocess.run(['which', tool], capture_output=True,
                    text=True).stdout.strip()
                os.symlink(path, Path(bin_dir) / tool)
            env = dict(os.environ, PATH=bin_dir)
            result = run(['/bin/bash', './start.sh'], env)
        self.assertClearError(result, "Node.js and npm are needed")

    def test_database_already_there(self):
        "The demo generator does not overwrite an existing database"
        server = get_server()
        result = run([str(BIN / 'crm-oa-demo'), '-c', str(server.config),
                '-d', server.database], server.env)
        self.assertClearError(result,
            f"Database '{server.database}' already exists. Use --reset")
        # --if-missing keeps it and still prints the logins
        result = run([str(BIN / 'crm-oa-demo'), '-c', str(server.config),
                '-d', server.database, '--if-missing'], server.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("already exists: kept", result.stdout)
        # the logins with the people's names, as the first time
        users = server.rpc('model.res.user.search_read', [
                [('login', 'in', LOGINS)], 0, None, None, ['login', 'name'],
                {}], server.login('admin'))
        self.assertEqual(len(users), len(LOGINS))
        for user in users:
            with self.subTest(login=user['login']):
                self.assertRegex(result.stdout, r'\n  %s +\S+ \(%s\)\n' % (
                        re.escape(user['login']), re.escape(user['name'])))
        # and the server still answers with the demo data
        session = server.login('sales')
        self.assertTrue(session[1])

    @unittest.skipUnless(
        os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'),
        "createdb is the PostgreSQL step of the README")
    def test_empty_database_is_filled(self):
        """An empty database made beforehand (README: createdb crm) is
        filled by the demo generator; once filled it is refused"""
        server = get_server()
        name = f'empty_{os.getpid()}'

        def database(action):
            "Create or drop the database as the server's configuration says"
            result = run([str(BIN / 'python'), '-c',
                    'import sys; from trytond.config import config; '
                    'config.update_etc(sys.argv[1]); '
                    'from trytond import backend; '
                    'db = backend.Database().connect(); '
                    'c = db.get_connection(autocommit=True); '
                    f'db.{action}(c, sys.argv[2])',
                    str(server.config), name], server.env)
            self.assertEqual(result.returncode, 0, result.stderr)
        database('create')
        try:
            command = [str(BIN / 'crm-oa-demo'), '-c', str(server.config),
                '-d', name, '--customers', '0']
            result = run(command, server.env)
            self.assertEqual(result.returncode, 0,
                result.stdout + result.stderr)
            self.assertIn("Logins", result.stdout)
            self.assertClearError(run(command, server.env),
                f"Database '{name}' already exists. Use --reset")
        finally:
            database('drop')

    def test_missing_configuration(self):
        result = run([str(BIN / 'crm-oa-demo'), '-c', '/nonexistent.conf'])
        self.assertClearError(result, "configuration file /nonexistent.conf not found")
