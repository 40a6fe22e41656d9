"""Textual stylesheets (.tcss) and Theme objects."""
