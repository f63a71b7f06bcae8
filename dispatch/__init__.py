"""Risk-lead dispatch closed loop: lifecycle state machine, working-day deadlines, joint supervision,
provincial exchange, demo history and the ``bianjian leads`` commands (docs/dispatch.md)."""
