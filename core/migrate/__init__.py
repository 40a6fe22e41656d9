"""Moving in: digital IDs, contacts' certificates and roots from another mail program.

One module per source (``thunderbird``, ``gpgsm``, ``neomutt``) reads it with that program's own
tools and returns an :class:`~smimetui.core.migrate.inventory.Inventory`: nothing is written
while reading.  :mod:`~smimetui.core.migrate.store` then stores the inventory through the public
APIs of the keystore and the address book.  Roots are only ever *offered*: each is written to a
file for ``smimetui trust add``, never trusted by an import.
"""
