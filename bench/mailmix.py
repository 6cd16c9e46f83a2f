"""The realistic inbound mix of ``bench_mail_receive.py`` (issue 17, item 1): message builders.

Kinds (shares of the default mix, disjoint):

* ``html`` 31% — new mail as Outlook sends it: ``multipart/alternative`` with a plain and a
  quoted-printable HTML part (style block, ``WordSection1``, a ``divRplyFwdMsg`` quoted
  thread of one to four earlier messages).
* ``attachment`` 10% — ``multipart/mixed``: a short text and one file of 10 KB to 5 MB
  (log-uniform: median ~220 KB, mean ~0.8 MB), base64; half carry a reference ID (appended
  with the file), half are new mail.
* ``reply`` 21% — a plain-text reply with a valid reference ID in the subject, In-Reply-To
  and References, and ``>``-quoted history under an "On … wrote:" line.
* ``new`` 38% — plain-text new mail, some with a forwarded thread.

New mail (``html``, ``new``, half of ``attachment``) comes 75% from known contacts (care
queue: no reference ID) and 25% from strangers. Every message carries ``Received`` lines
and the MTA's ``Authentication-Results`` (dmarc=pass), as behind a real MTA.

Only the headers are built per message; an attachment is a line-aligned slice of one
shared base64 blob, so 10,000 messages fit in memory.
"""

from __future__ import annotations

import base64
import math
import quopri
import random
from dataclasses import dataclass

AUTHSERV = "mx.casedesk.invalid"
MIX = {"html": 0.31, "attachment": 0.10, "reply": 0.21, "new": 0.38}
ATTACH_MIN, ATTACH_MAX = 10 * 1024, 5 * 1024 * 1024

_WORDS = (
    "dialer",
    "campaign",
    "agents",
    "timeout",
    "trunk",
    "codec",
    "voicemail",
    "greeting",
    "queue",
    "supervisor",
    "license",
    "upgrade",
    "patch",
    "9.2.1",
    "restart",
    "logs",
    "attached",
    "screenshot",
    "error",
    "intermittent",
    "customers",
    "callback",
    "recording",
    "transcription",
    "IVR",
    "menu",
    "routing",
    "SIP",
    "registration",
    "failed",
    "yesterday",
    "morning",
    "after",
    "the",
    "maintenance",
    "window",
    "nothing",
    "changed",
    "on",
    "our",
    "side",
)
_NAMES = ("Anna Schmidt", "Bruno Costa", "Chen Wei", "Dana Levi", "Emeka Obi", "Fatima Zahra")


@dataclass(frozen=True)
class Planned:
    """One message of the plan: ``head`` bytes, then ``attach`` bytes of the shared blob."""

    kind: str
    sender: str
    head: bytes
    attach: int = 0
    tail: bytes = b""


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    return [
        " ".join(_sentence(rng, rng.randint(6, 16)) for _ in range(rng.randint(1, 4)))
        for _ in range(count)
    ]


def _history(rng: random.Random, depth: int) -> list[tuple[str, str, list[str]]]:
    return [
        (
            rng.choice(_NAMES),
            f"Tue, {20 - d} Nov 2026 1{d}:0{d}",
            _paragraphs(rng, rng.randint(1, 3)),
        )
        for d in range(depth)
    ]


def attachment_size(rng: random.Random) -> int:
    """Log-uniform between 10 KB and 5 MB."""
    return int(math.exp(rng.uniform(math.log(ATTACH_MIN), math.log(ATTACH_MAX))))


def shared_blob(max_bytes: int = ATTACH_MAX, seed: int = 11) -> bytes:
    """Base64 of ``max_bytes`` pseudo-random bytes in 76-character CRLF lines."""
    data = random.Random(seed).randbytes(max_bytes)
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def encoded_length(size: int) -> int:
    """Bytes of ``shared_blob`` that hold ``size`` decoded bytes (whole 57-byte lines)."""
    lines = max(1, size // 57)
    return lines * 78


class MixBuilder:
    """Builds planned messages for a tag (unique Message-IDs per run)."""

    def __init__(self, *, tag: str, cases: list[tuple[str, str, str]], contacts: list[str],
                 seed: int = 7) -> None:  # fmt: skip
        self.tag = tag
        self.cases = cases  # (reference token, contact address, case number)
        self.contacts = contacts
        self.rng = random.Random(seed)
        self.count = 0

    def kinds(self, n: int, mix: dict[str, float] | None = None) -> list[str]:
        mix = mix or MIX
        names = list(mix)
        return self.rng.choices(names, weights=[mix[k] for k in names], k=n)

    def build(self, kind: str) -> Planned:
        self.count += 1
        rng = self.rng
        if kind == "reply" or (kind == "attachment" and rng.random() < 0.5):
            token, sender, number = rng.choice(self.cases)
            subject = f"RE: [{token}] {number} dialer drops calls"
            refs = f"<case-{self.count}.bench@casedesk.invalid>"
            extra = f"In-Reply-To: {refs}\r\nReferences: {refs}\r\n"
        else:
            sender = (
                rng.choice(self.contacts)
                if rng.random() < 0.75
                else f"user{rng.randrange(10**6)}@stranger{rng.randrange(500)}.example"
            )
            subject = f"{_sentence(rng, rng.randint(3, 8))[:-1]}"
            extra = ""
        if kind == "html":
            body_headers, body = self._html(rng)
        elif kind == "attachment":
            return self._attachment(rng, sender, subject, extra)
        else:
            body_headers, body = self._plain(rng, reply=kind == "reply")
        head = self._headers(sender, subject, extra) + body_headers + b"\r\n" + body
        return Planned(kind, sender, head)

    def _headers(self, sender: str, subject: str, extra: str) -> bytes:
        domain = sender.rpartition("@")[2]
        n = self.count
        return (
            f"Received: from mail.{domain} (mail.{domain} [192.0.2.{n % 250}])\r\n"
            f"\tby {AUTHSERV} (Postfix) with ESMTPS id 4Y{n:08X}\r\n"
            "\tfor <support@casedesk.invalid>; Tue, 24 Nov 2026 14:00:00 +0000 (UTC)\r\n"
            f"Received: from [10.0.0.{n % 200}] by mail.{domain} with ESMTPSA; "
            "Tue, 24 Nov 2026 13:59:59 +0000\r\n"
            f"Authentication-Results: {AUTHSERV}; spf=pass smtp.mailfrom={domain};\r\n"
            f"\tdkim=pass header.d={domain}; dmarc=pass header.from={domain}\r\n"
            f"From: {_NAMES[n % len(_NAMES)]} <{sender}>\r\n"
            "To: Support <support@casedesk.invalid>\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <{self.tag}-{n}@mail.{domain}>\r\n"
            f"{extra}"
            "Date: Tue, 24 Nov 2026 14:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        ).encode()

    def _plain(self, rng: random.Random, *, reply: bool) -> tuple[bytes, bytes]:
        lines = ["Hi,", ""]
        for para in _paragraphs(rng, rng.randint(1, 4)):
            lines += [para, ""]
        lines += ["Best regards", rng.choice(_NAMES), ""]
        if reply or rng.random() < 0.3:
            for name, date, paras in _history(rng, rng.randint(1, 4)):
                lines.append(f"On {date}, {name} <support@casedesk.invalid> wrote:")
                for para in paras:
                    lines += [f"> {para}", ">"]
        text = "\r\n".join(lines) + "\r\n"
        headers = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        return headers, text.encode()

    def _html(self, rng: random.Random) -> tuple[bytes, bytes]:
        paras = _paragraphs(rng, rng.randint(2, 5))
        history = _history(rng, rng.randint(1, 4))
        text = (
            "\r\n\r\n".join(paras)
            + "\r\n\r\n"
            + "\r\n".join(f"From: {n}\r\nSent: {d}\r\n\r\n" + "\r\n".join(p) for n, d, p in history)
        )
        quoted = "".join(
            '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt">'
            f"<b>From:</b> {n} &lt;support@casedesk.invalid&gt;<br><b>Sent:</b> {d}<br>"
            "<b>Subject:</b> dialer</font></div><div>"
            + "".join(f'<p class="MsoNormal">{p}</p>' for p in ps)
            + "</div>"
            for n, d, ps in history
        )
        html = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            "<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:Calibri,sans-serif}"
            "div.WordSection1{page:WordSection1}</style></head><body lang=EN-GB>"
            '<div class="WordSection1">'
            + "".join(
                f'<p class="MsoNormal"><span style="color:#1F497D">{p}</span></p>' for p in paras
            )
            + '<p class="MsoNormal"><img src="https://tracker.example/p.gif" width=1></p>'
            "<hr>" + quoted + "</div></body></html>"
        )
        boundary = f"_000_{self.tag}{self.count}_"
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            + quopri.encodestring(text.encode()).decode()
            + f"\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            + quopri.encodestring(html.encode()).decode().replace("\n", "\r\n")
            + f"\r\n--{boundary}--\r\n"
        )
        headers = f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode()
        return headers, body.encode()

    def _attachment(self, rng: random.Random, sender: str, subject: str, extra: str) -> Planned:
        boundary = f"_mixed_{self.tag}{self.count}_"
        _, text = self._plain(rng, reply=bool(extra))
        name = rng.choice(("dialer-log.zip", "screenshot.png", "trace.pcap", "report.pdf"))
        head = (
            self._headers(sender, subject, extra)
            + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
            + f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".encode()
            + text
            + f'\r\n--{boundary}\r\nContent-Type: application/octet-stream; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        )
        size = encoded_length(attachment_size(rng))
        return Planned("attachment", sender, head, size, f"--{boundary}--\r\n".encode())
