"""UI-free core of smimetui: mail model, backends, S/MIME, trust, contacts, config.

Never imports textual or rich.
"""
