"""gunicorn configuration for ``bianjian serve --prod``; bind and worker count come from the command line.

Threaded workers, because a callback spends most of its time waiting on PostgreSQL. The app is *not*
preloaded: each worker builds its own engine and cache client after the fork, so no database socket is
ever shared between processes.
"""

import settings

worker_class = "gthread"
threads = int(settings.get("web_threads"))
preload_app = False
timeout = 120  # a monthly bulletin may take a while; longer work belongs in a background callback
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle workers now and then so slow leaks cannot grow for weeks
max_requests_jitter = 500
accesslog = "-"
access_log_format = '%(h)s pid=%(p)s "%(r)s" %(s)s %(b)s %(M)sms'
