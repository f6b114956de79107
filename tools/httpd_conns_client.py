#!/usr/bin/env python3
"""httpd_conns_client.py PORT - httpd_client.py PORT with 1000 connections
held open at once (the httpd_conns1000 stress case: a thousand concurrent
connections, then closed, with the guest's TCP memory back to its
baseline)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpd_client  # noqa: E402

if __name__ == "__main__":
	sys.exit(httpd_client.main(conns=1000))
