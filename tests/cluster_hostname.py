"""The hostname a Celery worker of the cluster test gives its task instances (both run on one machine)."""

import os
import socket


def worker_name() -> str:
    return os.environ.get("NEWSFLOW_WORKER_NAME") or socket.getfqdn()
