"""The installed program: the packages the wheel holds, and the wheel started headless and in a
real terminal (tests/wheel_check.sh runs headless_start.py and pty_start.py)."""
