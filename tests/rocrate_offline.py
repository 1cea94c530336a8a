"""Run roc-validator (`rocrate-validator` command line) without network: the JSON-LD contexts it would download
are served from local copies, and any other download fails loudly.

RO-Crate 1.1's context is tests/reference/ro-crate-1.1-context.jsonld (source in tests/reference/SOURCES.md);
1.3's is the copy the `rocrate` package ships. Usage: python tests/rocrate_offline.py <rocrate-validator args>
"""

from __future__ import annotations

import io
import sys
from email.message import Message
from pathlib import Path
from urllib.response import addinfourl

import rdflib.parser
import requests
import rocrate

CONTEXTS = {
    "https://w3id.org/ro/crate/1.1/context": Path(__file__).parent / "reference" / "ro-crate-1.1-context.jsonld",
    "https://w3id.org/ro/crate/1.3/context": Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld",
}


def _local(url: str) -> bytes:
    if url not in CONTEXTS:
        raise OSError(f"rocrate_offline: no local copy of {url}, and this run downloads nothing")
    return CONTEXTS[url].read_bytes()


def _urlopen(request):
    url = getattr(request, "full_url", request)
    headers = Message()
    headers["Content-Type"] = "application/ld+json"
    return addinfourl(io.BytesIO(_local(url)), headers, url, 200)


def _request(self, method, url, *args, **kwargs):
    response = requests.Response()
    response._content = _local(url)
    response.status_code = 200
    response.url = url
    response.headers["Content-Type"] = "application/ld+json"
    return response


rdflib.parser._urlopen = _urlopen
requests.Session.request = _request

if __name__ == "__main__":
    from rocrate_validator.cli.main import cli

    sys.exit(cli(sys.argv[1:]))
