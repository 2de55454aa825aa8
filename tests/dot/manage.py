#!/usr/bin/env python3
"""The Django OAuth Toolkit test server's manage.py (see README.md here)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokdeck_dot.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
