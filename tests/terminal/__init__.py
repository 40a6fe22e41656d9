"""The installed program in a real terminal (tmux): what a user sees, measured cell by cell."""
