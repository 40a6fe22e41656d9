"""What tests and benchmarks share: real servers on loopback (servers/), the fixture PKI, message
builders, corpora, keyrings and the peers we interoperate with. Imported by tests and by bench/,
never importing either."""
