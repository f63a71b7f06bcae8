"""登录: the login form, served by Flask before any Dash endpoint is reachable (web.guard routes it).

It is plain HTML rendered by Jinja with autoescaping, so a reflected username or ``next`` cannot inject
markup, and it needs no script at all.
"""

from __future__ import annotations

from flask import render_template_string

_TEMPLATE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>登录 · {{ title }}</title>
  <link rel="stylesheet" href="{{ prefix }}assets/vendor/bootstrap.min.css">
</head>
<body class="bg-dark">
  <main class="container" style="max-width: 420px; margin-top: 12vh;">
    <div class="card shadow">
      <div class="card-body p-4">
        <h1 class="h4 mb-4 text-center">{{ title }}</h1>
        {% if message %}<div class="alert alert-{{ message_kind }}" role="alert" id="login-message">{{ message }}</div>{% endif %}
        <form method="post" action="{{ prefix }}login" autocomplete="on">
          <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
          <input type="hidden" name="next" value="{{ next_url }}">
          <div class="mb-3">
            <label class="form-label" for="login-username">用户名</label>
            <input class="form-control" id="login-username" name="username" value="{{ username }}"
                   autocomplete="username" required autofocus>
          </div>
          <div class="mb-3">
            <label class="form-label" for="login-password">密码</label>
            <input class="form-control" id="login-password" name="password" type="password"
                   autocomplete="current-password" required>
          </div>
          <button class="btn btn-primary w-100" type="submit" id="login-submit">登录</button>
        </form>
      </div>
    </div>
    <p class="text-center text-secondary small mt-3">仅限授权人员使用，所有操作均记录审计日志。</p>
  </main>
</body>
</html>
"""

MESSAGES = {
    "bad_credentials": ("用户名或密码错误。", "danger"),
    "locked": ("登录失败次数过多，请稍后再试。", "warning"),
    "csrf": ("页面已过期，请重新登录。", "warning"),
    "logged_out": ("您已安全退出。", "success"),
    "expired": ("会话已超时，请重新登录。", "info"),
}


def render(*, title: str, prefix: str, csrf_token: str, next_url: str, username: str = "",
           message: str | None = None) -> str:
    """The login page; ``message`` is a key of MESSAGES."""
    text, kind = MESSAGES[message] if message else (None, None)
    return render_template_string(_TEMPLATE, title=title, prefix=prefix, csrf_token=csrf_token,
                                  next_url=next_url, username=username, message=text, message_kind=kind)
