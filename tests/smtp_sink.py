#!/usr/bin/env python3
"""A real SMTP server on loopback for the end-to-end tests (aiosmtpd).

Every accepted message is appended as one JSON line to --out, with its envelope,
Message-ID, subject and bodies; events (a delayed RCPT) are logged there too. Prints
"READY <port>" once listening. Runs until killed.

  --rcpt-delay S --delay-first N   answer the first N RCPT commands only after S seconds
  --data-delay S                   answer every DATA only after S seconds (slow server)
"""
import argparse
import asyncio
import json
import os
import sys
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, args):
        self.args = args
        self.delayed = 0

    def log(self, record):
        with open(self.args.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.rcpt_delay > 0 and self.delayed < self.args.delay_first:
            self.delayed += 1
            self.log({"event": "rcpt_delayed", "rcpt": address})
            await asyncio.sleep(self.args.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_delay > 0:
            await asyncio.sleep(self.args.data_delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        self.log({
            "event": "message",
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": msg["Message-ID"],
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        })
        return "250 Message accepted for delivery"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--rcpt-delay", type=float, default=0)
    p.add_argument("--delay-first", type=int, default=1)
    p.add_argument("--data-delay", type=float, default=0)
    args = p.parse_args()
    handler = Sink(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
