#!/usr/bin/env python3
"""The headless user of the Django OAuth Toolkit server: tokdeck's $BROWSER in tests.

Given the URL tokdeck opens (the device page with its user code, or an authorization
URL), it signs in as $TOKDECK_TEST_LOGIN (default alice, password NAME-password) through
Django's login form and approves, CSRF tokens included, as a person in a browser would;
the browser flow's redirect to tokdeck's loopback listener is followed like a browser.
Every page it sees is logged as `page <url>` on stderr.
"""
import html
import os
import re
import sys

import requests

USER = os.environ.get("TOKDECK_TEST_LOGIN", "alice")


def csrf(page):
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not found:
        sys.exit(f"no CSRF token on {page.url}:\n{page.text[:500]}")
    return found.group(1)


def post(session, page, fields):
    data = {"csrfmiddlewaretoken": csrf(page), **fields}
    return session.post(page.url, data=data, headers={"Referer": page.url})


def hidden(page):
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    return {name: html.unescape(value) for name, value in found}


def main():
    session = requests.Session()
    page = session.get(sys.argv[1])
    for _ in range(6):
        print(f"page {page.url}", file=sys.stderr)
        if "/accounts/login/" in page.url:
            page = post(session, page, {"username": USER, "password": f"{USER}-password",
                                        "next": hidden(page).get("next", "")})
        elif "/o/device/" in page.url and "user_code" in page.text:
            code = re.search(r'name="user_code"[^>]*value="([^"]*)"', page.text)
            page = post(session, page, {"user_code": code.group(1) if code else ""})
        elif "/o/device-confirm/" in page.url:
            page = post(session, page, {"action": "accept"})
        elif 'name="allow"' in page.text:
            page = post(session, page, {**hidden(page), "allow": "Authorize"})
        else:
            print(f"done {page.status_code} {page.url}", file=sys.stderr)
            return
    sys.exit("too many pages")


if __name__ == "__main__":
    main()
