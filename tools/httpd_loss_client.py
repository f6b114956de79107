#!/usr/bin/env python3
"""httpd_loss_client.py PORT - httpd_client.py --loss PORT (the httpd_loss
system case: the 10 MiB body through a lossy link, checked by hash, and the
guest's retransmission counter must have moved)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpd_client  # noqa: E402

if __name__ == "__main__":
	sys.exit(httpd_client.main(loss=True))
