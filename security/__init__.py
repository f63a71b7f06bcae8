"""Access control, privacy masking and the tamper-evident audit log (see docs/security.md).

Pages and callbacks call ``security.current_scope()`` and pass the scope to query functions, which filter
server-side. The import is deferred so that ``bianjian --help`` does not load Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data_access.scope import Scope


def current_scope() -> Scope:
    """The logged-in user's (or wall display's) scope; raises ``NotAuthenticated`` outside a login."""
    from security.identity import current_scope as scope_of_request

    return scope_of_request()
