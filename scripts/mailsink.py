#!/usr/bin/env python3
"""The demo's mail server: an SMTP server on loopback that accepts every
message and writes it to a directory, one ``.eml`` file per message (open it
with any mail program, or read it as text).

    python scripts/mailsink.py --port 8025 --directory var/mail

``./start.sh`` runs it beside trytond and points ``[email] uri`` at it, so
the notifications, approval mails and vendor registrations of the demo can
be read without a real mail server. It never relays anything."""
import argparse
import email.policy
import errno
import os
import signal
import sys
import threading
import time
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller


class DirectoryHandler:
    "Write each message received to the directory"

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            stamp = time.strftime('%Y%m%d-%H%M%S')
            name = f'{stamp}-{os.getpid()}-{self.count:04d}.eml'
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode('utf-8')
        headers = (f'X-Mailsink-From: {envelope.mail_from}\r\n'
            f'X-Mailsink-To: {", ".join(envelope.rcpt_tos)}\r\n').encode()
        path = self.directory / name
        # written under a temporary name first: a reader never sees half
        tmp = path.with_suffix('.tmp')
        tmp.write_bytes(headers + content)
        tmp.rename(path)
        message = BytesParser(policy=email.policy.default).parsebytes(
            content, headersonly=True)
        print(f"mail: {message.get('Subject', '')!s} -> "
            f"{', '.join(envelope.rcpt_tos)} ({path.name})", flush=True)
        return '250 Message accepted for delivery'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8025)
    parser.add_argument('--directory', default='var/mail',
        help="where the messages are written (default: %(default)s)")
    args = parser.parse_args(argv)
    controller = Controller(DirectoryHandler(args.directory),
        hostname=args.host, port=args.port)
    try:
        controller.start()
    except OSError as exception:
        if exception.errno == errno.EADDRINUSE or 'in use' in str(exception):
            print(f"error: port {args.port} on {args.host} is already in "
                "use: stop the other program or choose another port "
                f"(MAIL_PORT={args.port + 1})", file=sys.stderr)
            return 2
        raise
    except RuntimeError as exception:
        # aiosmtpd reports a failed bind as a RuntimeError of its thread
        print(f"error: the mail sink could not listen on {args.host}:"
            f"{args.port} ({exception.__cause__ or exception}): stop the "
            "other program or choose another port "
            f"(MAIL_PORT={args.port + 1})", file=sys.stderr)
        return 2
    print(f"Mail sink on smtp://{args.host}:{args.port}, messages in "
        f"{Path(args.directory).resolve()}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
