"""A stand-in for Mailgun's sending API on loopback, for the tests and the
benchmark of the batch path (no email service is reachable from here).

It accepts what Anymail's Mailgun backend sends to POST /v3/<domain>/messages
(form fields: from, to repeated, subject, text, html, h:<Header>, v:<metadata>,
recipient-variables as JSON), checks the batch the way Mailgun documents it
(at most 1,000 recipients, one recipient-variables entry each, every address
well formed or the whole call is a 400), and answers as Mailgun does:
{"id": "<…>", "message": "Queued. Thank you."}. With `personalise` on it
makes each recipient's copy by replacing %recipient.KEY% in the body and
headers, as Mailgun does, and keeps them for the test to read.

It is a stand-in: it checks the format Anymail produces and Mailgun's rules
as documented, not Mailgun's own behaviour."""

import email.parser
import email.policy
import itertools
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_RECIPIENTS = 1000
MERGE_FIELD = re.compile(r"%recipient\.([^%]+)%")
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")


class Copy:
    """One recipient's message as the service would send it."""

    def __init__(self, to, subject, text, html, headers, metadata):
        self.to, self.subject, self.text, self.html = to, subject, text, html
        self.headers, self.metadata = headers, metadata


class MailgunStandIn:
    def __init__(self, api_key="key-standin", personalise=True):
        self.api_key = api_key
        self.personalise = personalise
        self.lock = threading.Lock()
        self.calls = []  # recipients per accepted call
        self.copies = []  # Copy per recipient (personalise on)
        self.refused = []  # (status, reason) of calls answered with an error
        self.fail_next = []  # statuses to answer the next calls with
        self.ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def mailer(self):
        """The MAILERS entry of Anymail's Mailgun backend pointed here."""
        return {
            "BACKEND": "anymail.backends.mailgun.EmailBackend",
            "OPTIONS": {"api_key": self.api_key, "api_url": self.api_url},
        }

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def received(self):
        with self.lock:
            return sum(self.calls)

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status, answer = standin.handle(self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def handle(self, path, headers, body):
        if not re.fullmatch(r"/v3/[^/]+/messages", path):
            return 404, {"message": "Not found"}
        expected = "Basic " + __import__("base64").b64encode(
            f"api:{self.api_key}".encode()
        ).decode()
        if headers.get("Authorization") != expected:
            return 401, {"message": "Invalid private key"}
        with self.lock:
            if self.fail_next:
                status = self.fail_next.pop(0)
                self.refused.append((status, "told to fail"))
                return status, {"message": "Service unavailable"}
        fields = parse_form(headers.get("Content-Type", ""), body)
        to = fields.get("to", [])
        if not to or len(to) > MAX_RECIPIENTS:
            return self._refuse(400, f"{len(to)} recipients: between 1 and 1000 per call")
        bad = [address for address in to if not ADDRESS.match(address)]
        if bad:
            return self._refuse(400, "'to' parameter is not a valid address. please check "
                                     f"documentation: {bad[0]}")
        variables = json.loads(fields.get("recipient-variables", ["{}"])[0])
        if set(variables) != set(to):
            return self._refuse(400, "recipient-variables must name every recipient")
        copies = []
        if self.personalise:
            for address in to:
                values = variables[address]

                def fill(text, values=values):
                    return MERGE_FIELD.sub(lambda m: str(values.get(m.group(1), "")), text or "")

                copies.append(Copy(
                    address,
                    fill(first(fields, "subject")),
                    fill(first(fields, "text")),
                    fill(first(fields, "html")),
                    {k[2:]: fill(v[0]) for k, v in fields.items() if k.startswith("h:")},
                    {k[2:]: fill(v[0]) for k, v in fields.items() if k.startswith("v:")},
                ))
        with self.lock:
            self.calls.append(len(to))
            self.copies.extend(copies)
            number = next(self.ids)
        return 200, {"id": f"<standin.{number}@mailgun.invalid>", "message": "Queued. Thank you."}

    def _refuse(self, status, reason):
        with self.lock:
            self.refused.append((status, reason))
        return status, {"message": reason}


def first(fields, name):
    values = fields.get(name)
    return values[0] if values else ""


def parse_form(content_type, body):
    """{field: [values]} of a urlencoded or multipart/form-data body."""
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields.setdefault(name, []).append(part.get_content())
        return fields
    return urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
