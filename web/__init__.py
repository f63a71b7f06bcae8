"""The web app's request handling, at the top layer beside ``app``: the guard in front of every request
(``web.guard``: login and logout views, sessions, CSRF, role checks, kiosk tokens, security headers).

It stands above ``pages`` (it renders the login page) and ``ops`` (the health route and outage answers); the
rules it applies live in ``security`` (roles and page access, sessions, CSRF, redirects, the audit log).
"""
