"""Per-user settings: the home directory, config.toml, accounts, secrets in the keyring."""
